"""Guess what kind of resource a URL (and optionally its page metadata) is."""

from __future__ import annotations

import re

from layerwise import ids

_BY_HOST = [
    (re.compile(r"(^|\.)(youtube\.com|youtu\.be|vimeo\.com|videolectures\.net|slideslive\.com)$"), "video"),
    (re.compile(r"(^|\.)(podcasts\.apple\.com|open\.spotify\.com|anchor\.fm|podbean\.com|overcast\.fm|"
                r"pca\.st|simplecast\.com|transistor\.fm|buzzsprout\.com|twimlai\.com)$"), "podcast"),
    (re.compile(r"(^|\.)(github\.com|gitlab\.com|bitbucket\.org|huggingface\.co|codeberg\.org)$"), "repo"),
    (re.compile(r"(^|\.)(coursera\.org|edx\.org|udemy\.com|udacity\.com|course\.fast\.ai|deeplearning\.ai|"
                r"classcentral\.com|fullstackdeeplearning\.com)$"), "course"),
    (re.compile(r"(^|\.)(twitter\.com|x\.com|reddit\.com|news\.ycombinator\.com|lobste\.rs|"
                r"discuss\.\w+\.\w+|stackoverflow\.com|stackexchange\.com|mastodon\.social|bsky\.app)$"), "thread"),
    (re.compile(r"(^|\.)(oreilly\.com|manning\.com|packtpub\.com|goodreads\.com|books\.google\.com|"
                r"amazon\.com|nostarch\.com|pragprog\.com|d2l\.ai|deeplearningbook\.org|mml-book\.github\.io)$"), "book"),
    (re.compile(r"(^|\.)(arxiv\.org|openreview\.net|aclanthology\.org|proceedings\.neurips\.cc|papers\.nips\.cc|"
                r"proceedings\.mlr\.press|dl\.acm\.org|ieeexplore\.ieee\.org|semanticscholar\.org|"
                r"doi\.org|jmlr\.org|nature\.com|science\.org|biorxiv\.org|ssrn\.com|usenix\.org)$"), "paper"),
]
_COURSE_PATH = re.compile(r"/(course|courses|class|lectures?|syllabus)(/|$)|cs\d{3}", re.IGNORECASE)


def guess_kind(url: str | None, og_type: str | None = None, content_type: str | None = None) -> str:
    if content_type and "pdf" in content_type:
        return "paper"
    if content_type and content_type.startswith("audio/"):
        return "podcast"
    if content_type and content_type.startswith("video/"):
        return "video"
    parts = ids.split_url(url) if url else None
    host = (parts.hostname or "").lower() if parts else ""
    path = parts.path if parts else ""
    for pattern, kind in _BY_HOST:
        if pattern.search(host):
            if kind == "repo" and path.count("/") < 2:
                return "page"  # a user or organisation page, not a repository
            return kind
    if path.lower().endswith(".pdf"):
        return "paper"
    if og_type:
        og = og_type.lower()
        if og.startswith("video"):
            return "video"
        if og.startswith("music") or "podcast" in og:
            return "podcast"
        if og == "book":
            return "book"
    if _COURSE_PATH.search(path):
        return "course"
    return "post"
