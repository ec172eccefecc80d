"""Times PyTorch's nn.LSTM / nn.GRU on the GPU at the shapes `curnn bench` uses: the anchor for CuRnn's cuDNN figures.

Strict FP32 (TF32 off), device tensors; each call timed as `curnn bench` times its device rows: wall clock from the
call to the end of a device synchronize, median of 20 after 3 warm-up calls. Peak memory from the caching allocator.
Prints a markdown table.
"""
import statistics
import time
import torch

torch.backends.cudnn.allow_tf32 = False
torch.backends.cuda.matmul.allow_tf32 = False
SHAPES = [("A", 50, 32, 512, 512, 1, "lstm", False), ("B", 100, 16, 256, 256, 1, "lstm", False),
          ("C", 25, 64, 1024, 1024, 1, "lstm", False), ("D", 1000, 8, 128, 128, 1, "lstm", False),
          ("E", 28, 128, 28, 128, 1, "lstm", False), ("F", 20, 64, 512, 512, 2, "lstm", False),
          ("A-GRU", 50, 32, 512, 512, 1, "gru", False), ("A-bi", 50, 32, 512, 512, 1, "lstm", True)]


def timed(fn, reps=20):
    for _ in range(3):
        fn()
        torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    dev = torch.device("cuda")
    print(f"# PyTorch {torch.__version__} anchor on {torch.cuda.get_device_name(0)}, cuDNN {torch.backends.cudnn.version()}, strict FP32\n")
    print("| shape | call | median ms | peak MiB (allocator) |")
    print("|---|---|---:|---:|")
    for name, t, b, i, h, layers, cell, bi in SHAPES:
        cls = torch.nn.LSTM if cell == "lstm" else torch.nn.GRU
        model = cls(i, h, num_layers=layers, bidirectional=bi).to(dev)
        x = torch.randn(t, b, i, device=dev)
        with torch.no_grad():
            torch.cuda.reset_peak_memory_stats()
            ms = timed(lambda: model(x))
            print(f"| {name} | forward no-grad | {ms:.3f} | {torch.cuda.max_memory_allocated() / 2**20:.1f} |")
        xg = x.clone().requires_grad_(True)

        def step():
            y, _ = model(xg)
            y.backward(torch.ones_like(y))

        torch.cuda.reset_peak_memory_stats()
        ms = timed(step)
        print(f"| {name} | forward + backward | {ms:.3f} | {torch.cuda.max_memory_allocated() / 2**20:.1f} |")


if __name__ == "__main__":
    main()
