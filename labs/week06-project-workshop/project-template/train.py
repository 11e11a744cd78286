"""An example experiment script using track.py. Replace data and model with your project's.

    python train.py --lr 0.01 --weight-decay 1e-4 --seed 0 --epochs 20
"""

import argparse

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

from track import Run


def get_data(seed: int):
    digits = load_digits()
    x = torch.tensor(digits.data, dtype=torch.float32) / 16.0
    y = torch.tensor(digits.target)
    # Fixed test split (seed 0) so every run is evaluated on the same examples;
    # the validation split follows the run's seed.
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=0.2, random_state=seed, stratify=y_rest)
    return (x_train, y_train), (x_val, y_val), (x_test, y_test)


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def main(config: dict, root: str = "runs") -> dict:
    torch.manual_seed(config["seed"])
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = get_data(config["seed"])
    model = nn.Sequential(nn.Linear(64, config["hidden"]), nn.ReLU(), nn.Linear(config["hidden"], 10))
    opt = torch.optim.AdamW(model.parameters(), lr=config["lr"], weight_decay=config["weight_decay"])
    with Run(config, root=root, name=f"lr{config['lr']}") as run:
        best_val, test_at_best = 0.0, 0.0
        for epoch in range(config["epochs"]):
            perm = torch.randperm(len(x_train))
            for i in range(0, len(perm), 64):
                idx = perm[i:i + 64]
                loss = nn.functional.cross_entropy(model(x_train[idx]), y_train[idx])
                opt.zero_grad(); loss.backward(); opt.step()
            val = accuracy(model, x_val, y_val)
            run.log(epoch, train_loss=loss.item(), val_acc=val)
            if val > best_val:  # model selection on validation; test is only read at that point
                best_val, test_at_best = val, accuracy(model, x_test, y_test)
        run.summary(best_val_acc=best_val, test_acc=test_at_best)
    return {"best_val_acc": best_val, "test_acc": test_at_best, "run": run.dir}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(main({"lr": args.lr, "weight_decay": args.weight_decay, "hidden": args.hidden,
                "epochs": args.epochs, "seed": args.seed}))
