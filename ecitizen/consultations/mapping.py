"""Between the opinion-map core (``opinion.py``, no Django) and the stored result: the map as
JSON, the SVG drawn in each language, the map rebuilt from JSON (to mark "You"), and the
plain-language reading of representative and consensus statements."""

from collections.abc import Mapping
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ecitizen.consultations.opinion import (
    ConsensusStatement,
    MapStatus,
    OpinionGroup,
    OpinionMap,
    ParticipantPosition,
    RepresentativeStatement,
)
from ecitizen.core.i18n import LANGUAGE_CODES


def to_json(result: OpinionMap) -> dict[str, Any]:
    """Everything the pages need. Positions are pseudonymous participant ids (never users)."""
    return {
        "status": str(result.status),
        "statement_ids": list(result.statement_ids),
        "groups": [
            {
                "id": g.id,
                "label": g.label,
                "size": g.size,
                "centroid": [round(g.centroid[0], 6), round(g.centroid[1], 6)],
            }
            for g in result.groups
        ],
        "positions": [
            [p.participant_id, round(p.x, 6), round(p.y, 6), p.group_id] for p in result.positions
        ],
        "excluded": len(result.excluded_participant_ids),
        "representative": {
            str(g): [
                {
                    "statement_id": r.statement_id,
                    "direction": r.direction,
                    "n_success": r.n_success,
                    "n_seen": r.n_seen,
                    "probability": round(r.probability, 6),
                }
                for r in reps
            ]
            for g, reps in result.representative.items()
        },
        "consensus_agree": [_consensus_json(c) for c in result.consensus_agree],
        "consensus_disagree": [_consensus_json(c) for c in result.consensus_disagree],
        "silhouette_by_k": {str(k): round(v, 6) for k, v in result.silhouette_by_k.items()},
        "explained_variance": [round(v, 6) for v in result.explained_variance],
    }


def _consensus_json(c: ConsensusStatement) -> dict[str, Any]:
    return {
        "statement_id": c.statement_id,
        "direction": c.direction,
        "score": round(c.score, 6),
        "group_probabilities": [round(p, 6) for p in c.group_probabilities],
    }


def from_json(data: Mapping[str, Any]) -> OpinionMap:
    """The stored map as an ``OpinionMap`` again (enough to draw it; statistics beyond what
    is stored are left empty)."""
    member_ids: dict[int, list[int]] = {}
    positions = []
    for pid, x, y, g in data.get("positions", []):
        positions.append(ParticipantPosition(int(pid), float(x), float(y), int(g)))
        member_ids.setdefault(int(g), []).append(int(pid))
    groups = tuple(
        OpinionGroup(
            id=int(g["id"]),
            label=str(g["label"]),
            member_ids=tuple(member_ids.get(int(g["id"]), [])),
            centroid=(float(g["centroid"][0]), float(g["centroid"][1])),
        )
        for g in data.get("groups", [])
    )
    representative = {
        int(g): tuple(
            RepresentativeStatement(
                statement_id=int(r["statement_id"]),
                group_id=int(g),
                direction=r["direction"],
                n_success=int(r["n_success"]),
                n_seen=int(r["n_seen"]),
                probability=float(r["probability"]),
                probability_rest=0.0,
                ratio=0.0,
                z_probability=0.0,
                z_difference=0.0,
                metric=0.0,
            )
            for r in reps
        )
        for g, reps in data.get("representative", {}).items()
    }
    return OpinionMap(
        status=MapStatus(data.get("status", MapStatus.TOO_FEW_PARTICIPANTS)),
        statement_ids=tuple(int(s) for s in data.get("statement_ids", [])),
        groups=groups,
        positions=tuple(positions),
        excluded_participant_ids=(),
        representative=representative,
        consensus_agree=(),
        consensus_disagree=(),
        silhouette_by_k={},
        explained_variance=tuple(data.get("explained_variance", (0.0, 0.0))),  # type: ignore[arg-type]
        _by_participant={p.participant_id: i for i, p in enumerate(positions)},
    )


def group_name(label: str) -> str:
    return _("Group %(label)s") % {"label": label}


def map_texts(result: OpinionMap) -> tuple[str, str]:
    """(title, description) of the SVG in the active language."""
    title = _("Opinion map")
    if not result.positions:
        return title, _("Nobody is on the map yet.")
    parts = [
        ngettext(
            "%(n)s person who voted on enough statements is shown as a dot.",
            "%(n)s people who voted on enough statements are shown as dots.",
            len(result.positions),
        )
        % {"n": len(result.positions)},
        _("People who voted alike are close together."),
    ]
    if result.status == MapStatus.CLUSTERED:
        sizes = ", ".join(
            _("group %(label)s: %(n)s") % {"label": g.label, "n": g.size} for g in result.groups
        )
        parts.append(
            ngettext(
                "They form %(n)s group (%(sizes)s).",
                "They form %(n)s groups (%(sizes)s).",
                len(result.groups),
            )
            % {"n": len(result.groups), "sizes": sizes}
        )
    else:
        parts.append(_("No clear groups yet."))
    parts.append(_("The table below the map gives the same figures."))
    return title, " ".join(parts)


def render_svg(
    result: OpinionMap, *, highlight: int | None = None, id_prefix: str = "opinion-map"
) -> str:
    title, description = map_texts(result)
    names = {g.id: group_name(g.label) for g in result.groups}
    mark = (highlight, _("You")) if highlight is not None else None
    return result.to_svg(
        title=title,
        description=description,
        group_names=names,
        highlight=mark,
        id_prefix=id_prefix,
    )


def svg_in_every_language(result: OpinionMap) -> dict[str, str]:
    drawn = {}
    for code in LANGUAGE_CODES:
        with translation.override(code):
            drawn[code] = render_svg(result)
    return drawn


def group_readings(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per group: label, size, share, and the statements that set it apart."""
    total = sum(int(g["size"]) for g in data.get("groups", [])) or 1
    rows = []
    for g in data.get("groups", []):
        reps = data.get("representative", {}).get(str(g["id"]), [])
        rows.append(
            {
                "id": g["id"],
                "label": g["label"],
                "name": group_name(g["label"]),
                "size": g["size"],
                "percent": round(100 * int(g["size"]) / total),
                "agree": [
                    (r["statement_id"], _percent(r)) for r in reps if r["direction"] == "agree"
                ],
                "disagree": [
                    (r["statement_id"], _percent(r)) for r in reps if r["direction"] == "disagree"
                ],
            }
        )
    return rows


def _percent(r: Mapping[str, Any]) -> int:
    return round(100 * int(r["n_success"]) / int(r["n_seen"])) if int(r["n_seen"]) else 0
