"""report.json and the printed summary of a build."""

from __future__ import annotations

import json
from pathlib import Path

from analysis.atomic_write import write_text_atomically


def write_report(path: Path, report: dict) -> None:
    write_text_atomically(path, json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False,
                                           default=_jsonable) + "\n")


def _jsonable(value: object) -> object:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def summary_lines(report: dict) -> list[str]:
    lines = [f"recipe: {report['recipe']}"] if "recipe" in report else []
    edges = report["edges"]
    lines.append(f"edges: {edges['read']:,} read, {edges['distinct']:,} distinct "
                 f"({edges['duplicates']:,} duplicates dropped)")
    for step in report["matrix_steps"]:
        lines.append(f"  {step['step']:<24} {step['rows']:>9,} accounts x {step['columns']:>10,} columns")
    pca = report["pca"]
    lines.append(f"PCA: {pca['components']} components explain {sum(pca['explained_variance_ratio']):.1%}; "
                 f"PC1 {pca['explained_variance_ratio'][0]:.1%}, PC2 {pca['explained_variance_ratio'][1]:.1%}")
    tsne = report["tsne"]
    affinities = (f"perplexity {tsne['perplexity_used']:g}" if "perplexity_used" in tsne
                  else f"affinities {tsne['affinities']}")
    lines.append(f"t-SNE ({tsne['gradient']}, {tsne.get('metric', 'euclidean')}): {affinities}, seed {report['parameters']['seed']}")
    if report.get("clusters"):
        lines.append(f"scenes: {len(report['clusters'])} neighbourhoods labelled")
    quality = report.get("quality")
    if quality and "tsne_neighbour_scene_agreement" in quality:
        lines.append(f"quality ({quality['accounts_with_truth']:,} accounts with truth): 10-NN scene agreement "
                     f"t-SNE {quality['tsne_neighbour_scene_agreement']:.3f}, PCA-2 {quality['pca_neighbour_scene_agreement']:.3f}, "
                     f"chance {quality['chance_neighbour_scene_agreement']:.3f}; trustworthiness "
                     f"t-SNE {quality['tsne_trustworthiness']:.3f}, PCA-2 {quality['pca2_trustworthiness']:.3f}")
    timings = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in report["timings_seconds"].items())
    lines.append(f"timings: {timings}")
    return lines
