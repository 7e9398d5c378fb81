"""Seed 004's network on Fashion-MNIST padded to 32×32, as `src/seed004.ts` trains it, with
Debian's PyTorch: Pad(2) + ToTensor (pixels / 255, zero padding), torch.manual_seed(seed)
before the model, SGD lr 0.01, batch 64, a shuffled DataLoader (RandomSampler from the global
generator: the same order as stepwise's for the seed), test accuracy after each epoch.

    /usr/bin/python3 apps/examples/pytorch/seed004.py [--epochs 1] [--seed 4]
        [--train-subset N] [--test-subset N] [--threads N]

Prints one JSON line with the per-epoch test accuracy and mean training loss.
"""

import argparse
import json
import os
import sys
import time

import torch
from torch import nn
from torch.utils.data import DataLoader

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
from quickstart import load, save_run  # noqa: E402


class Seed004Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 32, 5, padding=2),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(1024, 64),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.model(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=4)
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
    pad = lambda ds: torch.utils.data.TensorDataset(  # noqa: E731
        nn.functional.pad(ds.tensors[0], (2, 2, 2, 2)), ds.tensors[1]
    )
    train_data = pad(load(args.root, True, args.train_subset))
    test_data = pad(load(args.root, False, args.test_subset))
    torch.manual_seed(args.seed)
    model = Seed004Net()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    train_loader = DataLoader(train_data, batch_size=64, shuffle=True)
    test_loader = DataLoader(test_data, batch_size=256)
    accuracy, losses = [], []
    started = time.time()
    for epoch in range(args.epochs):
        model.train()
        total = 0.0
        for x, y in train_loader:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in test_loader:
                correct += (model(x).argmax(1) == y).sum().item()
        accuracy.append(correct / len(test_data))
        losses.append(total / len(train_data))
        print(f"epoch {epoch + 1}: train loss {losses[-1]:.5f}, test accuracy {100 * accuracy[-1]:.2f}%", flush=True)
    run = {
        "torch": torch.__version__,
        "seed": args.seed,
        "epochs": args.epochs,
        "train": len(train_data),
        "test": len(test_data),
        "accuracy": accuracy,
        "loss": losses,
        "seconds": round(time.time() - started, 1),
    }
    print(json.dumps(run))
    if args.json:
        save_run(args.json, run)


if __name__ == "__main__":
    main()
