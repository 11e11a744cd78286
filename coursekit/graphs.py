"""Graph data for node classification: Cora from the course data folder, or PyG's bundled
Zachary karate club graph (no download) as the offline fallback."""

import os
import shutil
import tempfile

from coursekit.paths import SUBFOLDERS, announce, data_dir, find


def load_graph(name: str = "cora"):
    """Return (data, num_classes, source) for Cora, or for KarateClub when Cora is missing."""
    if name != "cora":
        raise ValueError(f"unknown graph {name!r}; use 'cora'")
    if find("cora"):
        from torch_geometric.datasets import Planetoid

        folder = data_dir() / SUBFOLDERS["cora"]
        root = folder.parent
        if not (folder / "processed").exists() and not os.access(root, os.W_OK):
            # Planetoid writes its processed/ files next to raw/; the shared folder is read-only.
            root = tempfile.mkdtemp(prefix="coursekit-cora-")
            shutil.copytree(folder / "raw", os.path.join(root, "Cora", "raw"))
        dataset = Planetoid(str(root), "Cora")
        source = f"Cora citation graph from {folder}"
    else:
        from torch_geometric.datasets import KarateClub

        dataset = KarateClub()
        source = (
            "Zachary's karate club, bundled with PyG "
            f"(offline fallback: {data_dir() / SUBFOLDERS['cora']} not found)"
        )
    data = dataset[0]
    announce("graph", f"{source} -- {data.num_nodes} nodes, {data.num_edges} edges")
    return data, dataset.num_classes, source
