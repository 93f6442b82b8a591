"""POST /qa/ask, POST /qa/system/priority-question and GET /qa/ask/status/{task_id}."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from backend.api.deps import CurrentUser, RuntimeDep, SessionDep
from backend.api.routes.common import TaskIdPath, live_status
from backend.api.schemas.questions import Answer, AnswerFields, AskRequest, AskResponse, AskStatus
from backend.errors import NotFound, TaskTimeout
from backend.ledger import task_records
from backend.ledger.catalog import ANSWER_QUESTION, PRIORITY_QUESTION
from backend.ledger.task_records import TaskRef
from backend.models import Question, TaskRecord, User
from backend.qa import questions
from backend.runtime import Runtime

router = APIRouter(prefix="/qa", tags=["questions"])
QUESTION_TASKS = (ANSWER_QUESTION, PRIORITY_QUESTION)
UseAsync = Annotated[
    bool, Query(description="false: wait for the answer (up to the server's sync timeout).")
]
ANSWERED: dict[int | str, dict[str, Any]] = {
    200: {"model": AskResponse, "description": "Sync mode: the answer, or why it failed."}
}


@router.post(
    "/ask", summary="Ask a question", status_code=status.HTTP_202_ACCEPTED, responses=ANSWERED
)
def ask(
    body: AskRequest,
    response: Response,
    rt: RuntimeDep,
    session: SessionDep,
    user: CurrentUser,
    use_async: UseAsync = True,
) -> AskResponse:
    """Queue a question, answered from your own documents: on high_priority for premium
    accounts (ahead of normal questions), on question_answering for everyone else."""
    return _submit(rt, session, user, body, response, use_async=use_async, priority=None)


@router.post(
    "/system/priority-question",
    summary="Ask an urgent question (premium)",
    status_code=status.HTTP_202_ACCEPTED,
    responses={**ANSWERED, 403: {"description": "Not a premium or admin account."}},
)
def priority_question(
    body: AskRequest,
    response: Response,
    rt: RuntimeDep,
    session: SessionDep,
    user: CurrentUser,
    use_async: UseAsync = True,
) -> AskResponse:
    """Queue a question on high_priority, ahead of normal questions (premium and admins)."""
    return _submit(rt, session, user, body, response, use_async=use_async, priority=True)


def _submit(
    rt: Runtime,
    session: Session,
    user: User,
    body: AskRequest,
    response: Response,
    *,
    use_async: bool,
    priority: bool | None,
) -> AskResponse:
    record, task = questions.submit_question(
        session=session,
        celery=rt.celery,
        user=user,
        question=body.question,
        document_ids=body.document_ids,
        priority=priority,
        limiter=rt.rate_limiter,
    )
    submitted = AskResponse(
        task_id=task.task_id, question_id=record.id, queue=task.queue, status="PENDING"
    )
    if use_async:
        return submitted
    return _wait(rt, session, record, task, submitted, response)


def _wait(
    rt: Runtime,
    session: Session,
    record: Question,
    task: TaskRef,
    submitted: AskResponse,
    response: Response,
) -> AskResponse:
    try:
        result = task_records.wait_for_task(
            celery=rt.celery, task_id=task.task_id, timeout=rt.settings.sync_wait_seconds
        )
    except task_records.TaskFailed as exc:
        response.status_code = status.HTTP_200_OK
        return submitted.model_copy(update={"status": "FAILURE", "error": str(exc)})
    except TaskTimeout:
        return submitted  # still 202: poll /qa/ask/status/{task_id}
    response.status_code = status.HTTP_200_OK
    answer = Answer.model_validate(result)
    shared = {name: getattr(answer, name) for name in AnswerFields.model_fields}
    return submitted.model_copy(update={"status": "SUCCESS", **shared})


@router.get("/ask/status/{task_id}", summary="Where a question stands, and its answer")
def ask_status(
    task_id: TaskIdPath, rt: RuntimeDep, session: SessionDep, user: CurrentUser
) -> AskStatus:
    live, record = live_status(session=session, rt=rt, user=user, task_id=task_id)
    if record.name not in QUESTION_TASKS:
        raise NotFound("No such question task.")
    return AskStatus(
        task_id=task_id,
        status=live["status"],
        progress=None,
        result=_answer(session, user, live, record),
        error=live["error"],
        queued_at=live["queued_at"],
        started_at=live["started_at"],
        finished_at=live["finished_at"],
    )


def _answer(
    session: Session, user: User, live: dict[str, Any], record: TaskRecord
) -> Answer | None:
    if live["status"] != "SUCCESS":
        return None
    if isinstance(live["result"], dict):
        return Answer.model_validate(live["result"])
    question_id = (record.args or {}).get("question_id")
    if not isinstance(question_id, int):
        return None
    stored = questions.stored_answer(session=session, user=user, question_id=question_id)
    return Answer.model_validate(stored) if stored is not None else None
