"""pytorch.org's Quickstart (Fashion-MNIST, the 784-512-512-10 MLP, SGD lr 1e-3, batch 64,
5 epochs) with Debian's PyTorch, to compare with `src/quickstart.ts` on the same data and
seed. torchvision is not packaged in Debian, so the IDX files are read here with numpy:
ToTensor's values (pixels / 255, float32, [N, 1, 28, 28]) in the datasets' order, and the
DataLoaders are the tutorial's (batch 64, no shuffle) over a TensorDataset.

    /usr/bin/python3 apps/examples/pytorch/quickstart.py [--epochs 5] [--seed 0]
        [--train-subset N] [--test-subset N] [--root /usr/share/datasets/fashion-mnist]

Prints the tutorial's lines and, last, one JSON line with the per-epoch accuracy and loss.
"""

import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(root, stem):
    for name in (stem, stem + ".gz"):
        for folder in (root, os.path.join(root, "FashionMNIST", "raw")):
            p = os.path.join(folder, name)
            if os.path.exists(p):
                return p
    raise FileNotFoundError(f"{stem}(.gz) not found under {root}")


def load(root, train, subset):
    kind = "train" if train else "t10k"
    images = read_idx(find(root, f"{kind}-images-idx3-ubyte"))
    labels = read_idx(find(root, f"{kind}-labels-idx1-ubyte"))
    if subset:
        images, labels = images[:subset], labels[:subset]
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    return TensorDataset(x, y)


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if batch % 100 == 0:
            loss, current = loss.item(), (batch + 1) * len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")


def test(dataloader, model, loss_fn):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
    return correct, test_loss


def save_run(path, run):
    """Merges `run` into the `runs` of the JSON file at `path` (same seed and sizes: replaced)."""
    key = lambda r: (r["seed"], r["epochs"], r["train"], r["test"])  # noqa: E731
    runs = []
    if os.path.exists(path):
        with open(path) as f:
            runs = json.load(f)["runs"]
    runs = [r for r in runs if key(r) != key(run)] + [run]
    runs.sort(key=key)
    with open(path, "w") as f:
        json.dump({"runs": runs}, f, indent=1)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--train-subset", type=int, default=0)
    ap.add_argument("--test-subset", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--json", help="merge the run into this JSON file's runs (replacing one of the same configuration)")
    ap.add_argument(
        "--root",
        default=os.environ.get("STEPWISE_FASHION_MNIST_ROOT", "/usr/share/datasets/fashion-mnist"),
    )
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    training_data = load(args.root, True, args.train_subset)
    test_data = load(args.root, False, args.test_subset)
    train_dataloader = DataLoader(training_data, batch_size=64)
    test_dataloader = DataLoader(test_data, batch_size=64)

    torch.manual_seed(args.seed)
    model = NeuralNetwork()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    accuracy, loss = [], []
    started = time.time()
    for t in range(args.epochs):
        print(f"Epoch {t+1}\n-------------------------------")
        train(train_dataloader, model, loss_fn, optimizer)
        a, l = test(test_dataloader, model, loss_fn)
        accuracy.append(a)
        loss.append(l)
    print("Done!")
    run = {
        "torch": torch.__version__,
        "seed": args.seed,
        "epochs": args.epochs,
        "train": len(training_data),
        "test": len(test_data),
        "accuracy": accuracy,
        "loss": loss,
        "seconds": round(time.time() - started, 1),
    }
    print(json.dumps(run))
    if args.json:
        save_run(args.json, run)


if __name__ == "__main__":
    main()
