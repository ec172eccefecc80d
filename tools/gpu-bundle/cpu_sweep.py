"""The CPU thread sweep's peer: PyTorch's nn.LSTM on the CPU at the shapes and thread counts `curnn bench --engine
managed --threads ...` measures, timed the same way (median of the timed calls after a warm-up of at least 0.5 s).

Forward without autograd, and a training step with the same work as CuRnn's: forward, then backward into the weight
gradients and the input's gradient. Float32. Usage: cpu_sweep.py [threads,...] (default 1,2,4,8,16). Prints a
markdown table. Run it under `MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184` too: glibc's default returns
libtorch's large buffers to the kernel after every call.
"""
import os
import statistics
import sys
import time

import torch

SHAPES = [("A", 50, 32, 512, 512), ("C", 25, 64, 1024, 1024), ("D", 1000, 8, 128, 128), ("E", 28, 128, 28, 128)]


def timed(fn, reps=10):
    start = time.perf_counter()
    warm = 0
    while warm < 3 or time.perf_counter() - start < 0.5:
        fn()
        warm += 1
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main():
    threads = [int(t) for t in (sys.argv[1] if len(sys.argv) > 1 else "1,2,4,8,16").split(",")]
    mode = "kept buffers" if os.environ.get("MALLOC_MMAP_MAX_") == "0" else "glibc default"
    print(f"# PyTorch {torch.__version__} CPU nn.LSTM, {os.cpu_count()} logical CPUs, malloc: {mode}\n")
    print("| shape | call | threads | median ms | GFLOP/s |")
    print("|---|---|---:|---:|---:|")
    torch.manual_seed(1)
    for name, t, b, i, h in SHAPES:
        flops = 2.0 * t * b * (i + h) * 4 * h
        model = torch.nn.LSTM(i, h)
        x = torch.rand(t, b, i) * 2 - 1
        dy = torch.rand(t, b, h) * 2 - 1
        xg = x.clone().requires_grad_(True)

        def forward():
            with torch.no_grad():
                model(x)

        def step():
            model.zero_grad()
            xg.grad = None
            y, _ = model(xg)
            y.backward(dy)

        for n in threads:
            torch.set_num_threads(n)
            ms = timed(forward)
            print(f"| {name} | forward | {n} | {ms:.2f} | {flops / ms / 1e6:.0f} |")
            ms = timed(step)
            print(f"| {name} | train | {n} | {ms:.2f} | {3 * flops / ms / 1e6:.0f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
