"""Which device and precision a job runs on: `auto` picks CUDA with bf16 where available, else CPU with fp32."""
from __future__ import annotations

from harness.errors import UserError

PRECISIONS = ("auto", "bf16", "fp16", "fp32")
DEVICES = ("auto", "cpu", "cuda")


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def check_device_request(device: str) -> None:
    """Fail early (exit 2) when the user asks for a device this machine does not have."""
    if device not in DEVICES:
        raise UserError(f"--device {device!r} is not one of {', '.join(DEVICES)}")
    if device == "cuda" and not cuda_available():
        raise UserError("--device cuda: no CUDA GPU is visible on this machine",
                        hint="use --device cpu (or auto), or check CUDA_VISIBLE_DEVICES and the driver")


def resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if cuda_available() else "cpu"
    return device


def resolve_precision(precision: str, device: str) -> str:
    """bf16 on GPUs that support it, fp16 on older GPUs, fp32 on CPU (CPU bf16 is slower on most hosts)."""
    if precision not in PRECISIONS:
        raise UserError(f"--precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    if precision != "auto":
        if device == "cpu" and precision == "fp16":
            raise UserError("--precision fp16 needs a GPU", hint="use bf16 or fp32 on CPU")
        return precision
    if device == "cuda":
        import torch

        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "fp32"


def accelerate_precision(precision: str) -> str:
    return {"bf16": "bf16", "fp16": "fp16", "fp32": "no"}[precision]
