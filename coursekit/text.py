"""Text classification data: AG News from the course data folder, or synthetic news-like
headlines generated offline (four topics, same class names) when it is missing."""

import random
from dataclasses import dataclass

from coursekit.paths import SUBFOLDERS, announce, data_dir, find

AG_NEWS_CLASSES = ["World", "Sports", "Business", "Sci/Tech"]

# Topic words per class; the generator mixes them with shared filler and some cross-topic noise.
_TOPIC_WORDS = {
    "World": "government minister election president parliament war peace treaty embassy "
    "refugees border protest capital summit diplomats ceasefire troops vote sanctions "
    "united nations prime coalition rebels talks crisis",
    "Sports": "team coach season match league goal win championship player striker cup "
    "tournament olympic score final injury transfer stadium fans victory defeat record "
    "medal race title",
    "Business": "market shares profit investors bank company stocks earnings quarter "
    "merger deal economy prices oil growth inflation revenue ceo sales trade billion "
    "interest rates acquisition",
    "Sci/Tech": "software internet computer researchers space nasa chip google microsoft "
    "apple wireless network data scientists study launch satellite phone online users "
    "security virus robot genome",
}
_FILLER = (
    "the a of in on to for with after before new says said over as at by from report "
    "week year today monday tuesday amid first latest plans expected could will may "
    "while against during"
).split()


@dataclass
class TextData:
    train_texts: list[str]
    train_labels: list[int]
    test_texts: list[str]
    test_labels: list[int]
    classes: list[str]
    source: str


def load_text_classification(
    max_train: int | None = None, max_test: int | None = None, seed: int = 0
) -> TextData:
    """AG News (4 classes) when present in the course data folder, else synthetic headlines."""
    data = _ag_news() if find("ag_news") else _synthetic(max_train or 4000, max_test or 1000, seed)
    rng = random.Random(seed)
    data.train_texts, data.train_labels = _subset(
        data.train_texts, data.train_labels, max_train, rng
    )
    data.test_texts, data.test_labels = _subset(data.test_texts, data.test_labels, max_test, rng)
    announce(
        "text", f"{data.source} -- {len(data.train_texts)} train / {len(data.test_texts)} test"
    )
    return data


def _ag_news() -> TextData:
    from datasets import load_from_disk

    path = data_dir() / SUBFOLDERS["ag_news"]
    ds = load_from_disk(str(path))
    return TextData(
        list(ds["train"]["text"]),
        list(ds["train"]["label"]),
        list(ds["test"]["text"]),
        list(ds["test"]["label"]),
        list(AG_NEWS_CLASSES),
        f"AG News from {path}",
    )


def synthetic_headline(label: int, rng: random.Random) -> str:
    """One headline-like sentence: topic words of class `label`, filler, some noise words."""
    topics = [_TOPIC_WORDS[c].split() for c in AG_NEWS_CLASSES]
    words = []
    for _ in range(rng.randint(6, 16)):
        roll = rng.random()
        if roll < 0.30:
            words.append(rng.choice(topics[label]))
        elif roll < 0.40:
            words.append(rng.choice(topics[rng.randrange(len(topics))]))
        else:
            words.append(rng.choice(_FILLER))
    return " ".join(words).capitalize()


def _synthetic(n_train: int, n_test: int, seed: int) -> TextData:
    rng = random.Random(seed)

    def make(n):
        labels = [rng.randrange(len(AG_NEWS_CLASSES)) for _ in range(n)]
        return [synthetic_headline(label, rng) for label in labels], labels

    train_texts, train_labels = make(n_train)
    test_texts, test_labels = make(n_test)
    folder = data_dir() / SUBFOLDERS["ag_news"]
    source = f"synthetic AG-News-like headlines (offline fallback: {folder} not found)"
    return TextData(train_texts, train_labels, test_texts, test_labels, AG_NEWS_CLASSES, source)


def _subset(texts, labels, limit, rng):
    if limit is None or limit >= len(texts):
        return list(texts), list(labels)
    keep = rng.sample(range(len(texts)), limit)
    return [texts[i] for i in keep], [labels[i] for i in keep]
