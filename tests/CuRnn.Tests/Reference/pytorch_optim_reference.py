"""torch.optim on given gradients, for CuRnn's optimizer tests.

Usage: pytorch_optim_reference.py DIR. DIR holds spec.json ({"optimizer": "adam" | "adamw" | "sgd", "options": {...},
"count": n, "steps": k, "dtype": "float32" | "float64"}) and raw little-endian float64 files: params.f64 [n], grads.f64 [k, n]. Writes out.f64 [k, n]:
the parameters after each step, in float64.
"""
import json
import os
import sys

import numpy as np
import torch


def main(folder):
    with open(os.path.join(folder, "spec.json")) as f:
        spec = json.load(f)
    n, k = spec["count"], spec["steps"]
    dtype = torch.float32 if spec.get("dtype") == "float32" else torch.float64
    p = torch.nn.Parameter(torch.from_numpy(np.fromfile(os.path.join(folder, "params.f64"), dtype="<f8").copy()).to(dtype))
    grads = np.fromfile(os.path.join(folder, "grads.f64"), dtype="<f8").reshape(k, n)
    kind, o = spec["optimizer"], spec["options"]
    if kind == "adam":
        opt = torch.optim.Adam([p], lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"], weight_decay=o["weight_decay"])
    elif kind == "adamw":
        opt = torch.optim.AdamW([p], lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"], weight_decay=o["weight_decay"])
    else:
        opt = torch.optim.SGD([p], lr=o["lr"], momentum=o["momentum"], dampening=o["dampening"], weight_decay=o["weight_decay"], nesterov=o["nesterov"])
    out = np.empty((k, n))
    for step in range(k):
        p.grad = torch.from_numpy(grads[step].copy()).to(dtype)
        opt.step()
        out[step] = p.detach().double().numpy()
    out.astype("<f8").tofile(os.path.join(folder, "out.f64"))


if __name__ == "__main__":
    main(sys.argv[1])
