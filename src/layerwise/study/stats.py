"""Time and balance: where the study time of a week or month went (track, area, layer, 70/20/10 bucket) next
to the user's targets, how much of what was captured got read, and how the map filled up over time."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from layerwise.atomic import write_atomically
from layerwise.errors import LayerwiseError
from layerwise.rank.profile import settings
from layerwise.store import concepts as concept_rows
from layerwise.store import profile as plan_rows
from layerwise.study.sessions import history
from layerwise.vocab import AREAS, BUCKETS, SESSION_LAYERS, TRACKS

if TYPE_CHECKING:
    from layerwise.library import Library

MAP_LAYERS = ("skimmed", "explored", "deepened", "built")


def period_start(period: str, today: date) -> date:
    if period == "week":
        return today - timedelta(days=today.weekday())
    if period == "month":
        return today.replace(day=1)
    raise ValueError(period)


def stats(library: Library, period: str = "week", today: date | None = None) -> dict[str, Any]:
    today = today or date.today()
    start = period_start(period, today)
    with library.store.begin() as conn:
        history_rows = concept_rows.layer_changes(conn)
    return {"period": period, "from": start.isoformat(), "to": today.isoformat(),
            **time_spent(library, start, today + timedelta(days=1)),
            "map_over_time": _map_over_time(history_rows, start, today, period)}


def time_spent(library: Library, start: date, end: date) -> dict[str, Any]:
    """Study time from start up to (not including) end by track, area, layer and bucket, with the targets, and
    items read against captured."""
    sessions = history(library, start.isoformat(), end.isoformat())
    with library.store.begin() as conn:
        buckets = plan_rows.bucket_of_items(conn)
        captured = library.store.count_added(conn, start.isoformat(), end.isoformat())

    def minutes_by(field: str, values: list[str], default: str) -> dict[str, float]:
        out = dict.fromkeys(values, 0.0)
        for s in sessions:
            name = s.get(field) or default
            out[name] = out.get(name, 0.0) + s["seconds"] / 60
        return {k: round(v, 1) for k, v in out.items()}

    for s in sessions:
        s["bucket"] = buckets.get(s["item_id"], "unplanned") if s["item_id"] else "unplanned"
    prefs = settings(library)
    shares = prefs.bucket_shares()
    read = {s["item_id"] for s in sessions if s["item_id"]}
    return {
        "minutes": round(sum(s["seconds"] for s in sessions) / 60, 1), "sessions": len(sessions),
        "by_track": minutes_by("track", list(TRACKS), "unplanned"),
        "track_targets": {"need": prefs.need_share, "want": round(1 - prefs.need_share, 3)},
        "by_area": minutes_by("area", list(AREAS), "unmapped"),
        "by_layer": minutes_by("layer", list(SESSION_LAYERS), "skim"),
        "by_bucket": minutes_by("bucket", list(BUCKETS), "unplanned"),
        "bucket_targets": {k: round(v, 3) for k, v in shares.items()},
        "read": len(read), "captured": int(captured),
        "read_ratio": f"1 in {round(captured / len(read))}" if read and captured else None,
    }


def _map_over_time(rows: list[tuple[str, str, str]], start: date, today: date, period: str) -> list[dict[str, Any]]:
    """Concepts at each layer at the end of each day (week view) or each week (month view), and 8 points before."""
    step = timedelta(days=1 if period == "week" else 7)
    points: list[date] = []
    moment = today
    while len(points) < 8 + (today - start).days // step.days:
        points.append(moment)
        moment -= step
    out = []
    for point in sorted(points):
        limit = (point + timedelta(days=1)).isoformat()
        current: dict[str, str] = {}
        for slug, layer, at in rows:
            if str(at) < limit:
                current[slug] = layer
        counts = dict.fromkeys(MAP_LAYERS, 0)
        for layer in current.values():
            if layer in counts:
                counts[layer] += 1
        out.append({"day": point.isoformat(), **counts})
    return out


def chart(data: dict[str, Any], path: str) -> None:
    """A PNG with four panels: track and bucket against targets, area and layer, and the map over time."""
    try:
        import matplotlib
    except ImportError:
        raise LayerwiseError("charts need matplotlib: pip install 'layerwise[charts]'") from None
    matplotlib.use("Agg")
    import io

    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    fig.suptitle(f"Study time {data['from']} to {data['to']}: {data['minutes']:.0f} min in {data['sessions']} sessions")
    _against(axes[0][0], "time by track", data["by_track"], data["track_targets"])
    _against(axes[0][1], "time by bucket (70/20/10)", data["by_bucket"], data["bucket_targets"])
    area = axes[1][0]
    names = [k for k in data["by_area"]] + [f"{k} (layer)" for k in data["by_layer"]]
    values = list(data["by_area"].values()) + list(data["by_layer"].values())
    area.barh(names, values, color=["#4c72b0"] * len(data["by_area"]) + ["#55a868"] * len(data["by_layer"]))
    area.set_title("minutes by area and by layer")
    area.invert_yaxis()
    over = axes[1][1]
    days = [p["day"][5:] for p in data["map_over_time"]]
    over.stackplot(days, *[[p[layer] for p in data["map_over_time"]] for layer in MAP_LAYERS], labels=MAP_LAYERS,
                   colors=["#fff3c4", "#c8e6c9", "#81c784", "#388e3c"])
    over.set_title("concepts per layer")
    over.legend(loc="upper left", fontsize=8)
    over.tick_params(axis="x", labelrotation=45, labelsize=7)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    write_atomically(path, buffer.getvalue())


def _against(ax: Any, title: str, minutes: dict[str, float], targets: dict[str, float]) -> None:
    names = list(targets)
    total = sum(minutes.get(n, 0) for n in names) or 1
    actual = [100 * minutes.get(n, 0) / total for n in names]
    wanted = [100 * targets[n] for n in names]
    xs = range(len(names))
    ax.bar([x - 0.2 for x in xs], actual, width=0.4, label="your time %", color="#4c72b0")
    ax.bar([x + 0.2 for x in xs], wanted, width=0.4, label="target %", color="#cccccc")
    ax.set_xticks(list(xs), names)
    ax.set_title(title)
    ax.legend(fontsize=8)
