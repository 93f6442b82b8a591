"""The model's weights from its safetensors, and the activation ranges that the int8 graph's
SmoothQuant scales are calibrated on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

from backend.retrieval.onnx_graph import ActivationMax, BertConfig, build_bert_graph


def load_weights(folder: Path) -> tuple[dict[str, np.ndarray], BertConfig]:
    """The safetensors weights (any "bert." prefix dropped) and config of a model folder."""
    raw = load_file(str(folder / "model.safetensors"))
    weights = {name.removeprefix("bert."): value for name, value in raw.items()}
    return weights, BertConfig.from_json(folder / "config.json")


def calibrate(
    weights: dict[str, np.ndarray], config: BertConfig, batches: list[dict[str, np.ndarray]]
) -> ActivationMax:
    """Per-channel max |activation| at every dense-layer input, over the given feeds."""
    import onnxruntime as ort

    model = build_bert_graph(weights, config, probe_outputs=True)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in model.graph.output if o.name.startswith("probe.")]
    result: ActivationMax = {}
    for feeds in batches:
        for name, value in zip(names, session.run(names, feeds), strict=True):
            key = name.removeprefix("probe.")
            value = np.asarray(value)
            row_max = np.abs(value.reshape(-1, value.shape[-1])).max(axis=0)
            result[key] = np.maximum(result[key], row_max) if key in result else row_max
    return result
