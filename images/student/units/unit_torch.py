"""A forward and backward pass, on the GPU when one is visible, else on the CPU.

The same file checks the real GPU server (make gpu-check) and CI (no GPU)."""

import torch

device = "cuda" if torch.cuda.is_available() else "cpu"
torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1)
).to(device)
x = torch.randn(64, 16, device=device)
loss = model(x).pow(2).mean()
loss.backward()
grad = model[0].weight.grad
assert grad is not None and grad.shape == (32, 16) and torch.isfinite(grad).all()
if device == "cuda":
    print(f"ok: forward/backward on {torch.cuda.get_device_name(0)}")
else:
    print(f"ok: forward/backward on CPU (no GPU visible), torch {torch.__version__}")
