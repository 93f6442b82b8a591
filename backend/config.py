"""Settings: one object, read from the environment and `.env`, passed to every service.

Field names follow the seed's environment variables (`CELERY_BROKER_URL`, `REDIS_URL`, ...) so
its examples keep working; properties group the derived values by section.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from backend.setting_values import redis_db_url, weak_secret


class Settings(BaseSettings):
    """Every setting of the service; see `.env.example` for what each one means."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # --- general
    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("data")
    secret_key: str = "change-me"
    log_level: str = "INFO"

    # --- database
    database_url: str = ""  # empty: SQLite file under data_dir

    # --- broker and results (seed names)
    celery_broker_url: str = ""  # empty: derived from REDIS_URL (db 0) or RABBITMQ_URL
    celery_result_backend: str = ""  # empty: derived from REDIS_URL (db 0)
    celery_task_always_eager: bool = False
    redis_url: str = "redis://localhost:6379"
    redis_db: int = 1  # cache and rate limits
    rabbitmq_url: str = "amqp://guest:guest@localhost:5672//"
    use_rabbitmq: bool = False
    worker_concurrency: int = 4

    # --- vector store
    qdrant_url: str = ""  # a Qdrant server; empty: the embedded Edge shard under vector_path
    vector_path: Path | None = None  # the embedded shard's folder; default: data_dir / "vectors"
    qdrant_path: Path | None = None  # the former local-mode folder (read only when upgrading)
    qdrant_api_key: str = ""
    qdrant_collection: str = "chunks"

    # --- embeddings and chunking
    embedding_quantized: bool = True
    embedding_threads: int = 0  # 0: all cores
    chunk_max_tokens: int = 160
    chunk_overlap_tokens: int = 32

    # --- answering
    retrieval_top_k: int = 5
    retrieval_mode: Literal["dense", "sparse", "hybrid"] = "hybrid"
    retrieval_candidates: int = 50
    rerank_pool: int = 20
    # Best sentence's evidence (less a share per name no retrieved passage holds) below this:
    # "not found" (squad-dev: under 1 % of answerable questions refused; see make eval).
    answer_min_score: float = 2.46
    # At or above: "well supported" (0.2 % of absent-article questions on squad-dev reach it).
    answer_strong_score: float = 3.06
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout_seconds: float = 30.0

    # --- limits
    rate_limit_enabled: bool = True
    max_queries_per_hour: int = 100
    max_documents_per_user: int = 50
    max_uploads_per_hour: int = 60
    rate_limit_window_seconds: int = 3600  # the sliding window the hourly limits count over
    # Per-role overrides for premium users (admins are never limited).
    premium_max_queries_per_hour: int = 1000
    premium_max_documents_per_user: int = 500
    premium_max_uploads_per_hour: int = 600
    max_upload_mb: int = 50
    max_pdf_pages: int = 2000
    max_document_chars: int = 5_000_000
    extraction_timeout_seconds: int = 120
    document_soft_time_limit: int = 300
    document_time_limit: int = 360
    question_soft_time_limit: int = 60
    question_time_limit: int = 90
    sync_wait_seconds: float = 120.0
    result_expires_seconds: int = 7 * 24 * 3600

    # --- document limits
    # Each document gets document_soft_time_limit seconds of wall-clock time, checked by the
    # pipeline itself (the threads pool enforces no Celery limit); text over
    # max_document_chars after cleaning, or more passages than this, ends FAILED with a sentence.
    max_chunks_per_document: int = 4000  # a 300-page book makes about 1,800
    log_content: bool = False  # workers log question and answer text (debugging only)

    # --- sign-in
    # argon2id parameters of new hashes; a password hashed otherwise is rehashed at sign-in.
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=65536, ge=8)  # 64 MiB per hash
    password_hash_parallelism: int = Field(default=4, ge=1)
    sign_in_hash_slots: int = Field(default=4, ge=1)  # hashes at once per process
    sign_in_hash_wait_seconds: float = 10.0  # waited for a free slot before a 429
    sign_in_free_attempts: int = Field(default=5, ge=1)  # per (account, client) pair
    sign_in_backoff_seconds: float = 1.0  # the pair's first wait after them; doubles
    sign_in_backoff_max_seconds: int = 15 * 60
    sign_in_window_seconds: int = 15 * 60  # failures are forgotten this long after
    sign_in_client_failures: int = 20  # from one address: its pairs get one free attempt
    sign_in_account_flood_failures: int = 200  # at one account: new pairs wait first
    sign_in_flood_delay_seconds: int = 5

    # --- webhooks
    webhook_timeout_seconds: float = 10.0
    webhook_max_retries: int = 5
    webhook_backoff_seconds: float = 5.0  # first retry after this; doubles each time
    # Loopback/private addresses and any port (tests and labs); refused in production.
    webhook_allow_private_targets: bool = False
    # Ports a webhook URL may name, as "80,443,8000-8999"; "*": any (the address must still
    # be public).
    webhook_allowed_ports: str = "80,443,8000-8999"
    admin_webhook_url: str = ""  # optional: admin notices are also posted here

    @model_validator(mode="after")
    def _check_webhook_targets(self) -> Settings:
        if self.environment == "production" and self.webhook_allow_private_targets:
            raise ValueError("WEBHOOK_ALLOW_PRIVATE_TARGETS must be off in production.")
        spec = self.webhook_allowed_ports.replace(" ", "")
        if spec != "*" and not all(
            part.isdigit() or (part.count("-") == 1 and part.replace("-", "").isdigit())
            for part in spec.split(",")
        ):
            raise ValueError("WEBHOOK_ALLOWED_PORTS lists ports and ranges, e.g. 80,443,8000-8999.")
        return self

    # --- maintenance (beat)
    task_retention_days: int = 30
    stuck_pending_seconds: int = 3600  # queued but never started for this long: stuck
    stuck_grace_seconds: int = 300  # started and still running this long past its time limit
    orphan_grace_seconds: int = 3600  # unreferenced upload files younger than this are kept
    queue_alert_threshold: int = 1000
    queue_alert_minutes: int = 10  # a queue above the threshold this long notifies admins

    # --- accounts
    admin_email: str = ""
    admin_password: str = ""
    allow_signup: bool = False
    # A dashboard sign-in lasts this long in the browser (across reloads and tabs), unless
    # signed out, the password changes or is reset, or the account is deactivated.
    dashboard_session_hours: int = Field(default=168, ge=1, le=24 * 366)

    # --- flower
    flower_url: str = "http://localhost:5555"
    flower_port: int = 5555
    flower_address: str = "127.0.0.1"  # the interface `make run`'s Flower listens on
    flower_user: str = "admin"
    # Empty outside production: `make run` generates one into DATA_DIR/flower-password.
    flower_password: str = Field(default="")

    # --- make run: the ports its API and dashboard listen on
    api_port: int = 8000
    dashboard_port: int = 8501

    # --- API exposure
    forwarded_allow_ips: str = "127.0.0.1"  # proxies whose X-Forwarded-For is believed
    api_docs_public: bool | None = None  # /docs and /openapi.json; None: open unless production
    metrics_token: str = ""  # set: /metrics needs "Authorization: Bearer <token>"
    max_json_body_kb: int = 256  # JSON request bodies above this are refused (413)
    body_read_timeout_seconds: float = 10.0  # a request body stalled this long: 408

    # --- administration
    queue_sample_seconds: int = 60  # beat samples queue depths this often
    queue_history_days: int = 7  # samples older than this are deleted

    # --- observability
    metrics_port: int = 0  # a worker serves its Prometheus metrics here; 0: not served
    sentry_dsn: str = ""  # set: errors of the API and workers go to Sentry

    @field_validator("qdrant_path", "vector_path", mode="before")
    @classmethod
    def _empty_path_is_default(cls, value: object) -> object:
        return None if value in ("", None) else value

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        if self.environment == "production":
            secrets = {"secret_key": self.secret_key, "flower_password": self.flower_password}
            if self.qdrant_url:
                secrets["qdrant_api_key"] = self.qdrant_api_key
            if self.metrics_token:
                secrets["metrics_token"] = self.metrics_token
            for name, value in secrets.items():
                reason = weak_secret(value)
                if reason:
                    raise ValueError(f"{name.upper()} {reason} (production needs real secrets).")
        return self

    # --- derived values
    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, defaulting to a SQLite file under data_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'qa.db').resolve()}"

    @property
    def broker_url(self) -> str:
        """The Celery broker: explicit, RabbitMQ when chosen, else Redis db 0."""
        if self.celery_broker_url:
            return self.celery_broker_url
        if self.use_rabbitmq:
            return self.rabbitmq_url
        return redis_db_url(self.redis_url, 0)

    @property
    def result_backend_url(self) -> str:
        """Where Celery keeps results; Redis even when RabbitMQ is the broker."""
        return self.celery_result_backend or redis_db_url(self.redis_url, 0)

    @property
    def cache_redis_url(self) -> str:
        """Redis database for rate limits, heartbeats and caches."""
        return redis_db_url(self.redis_url, self.redis_db)

    @property
    def flower_password_file(self) -> Path:
        return self.data_dir / "flower-password"

    @property
    def flower_secret(self) -> str:
        """Flower's basic-auth password: FLOWER_PASSWORD, else the generated one, else ""."""
        if self.flower_password:
            return self.flower_password
        try:
            return self.flower_password_file.read_text().strip()
        except OSError:
            return ""

    @property
    def docs_public(self) -> bool:
        if self.api_docs_public is not None:
            return self.api_docs_public
        return self.environment != "production"

    @property
    def upload_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def model_cache_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def vector_dir(self) -> Path:
        return self.vector_path or self.data_dir / "vectors"

    @property
    def legacy_qdrant_dir(self) -> Path:
        """Where qdrant-client's local mode kept vectors before the Edge shard."""
        return self.qdrant_path or self.data_dir / "qdrant"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def visibility_timeout(self) -> int:
        """Longer than the longest task, so a slow task is not delivered twice."""
        return max(self.document_time_limit, self.question_time_limit) * 4


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
