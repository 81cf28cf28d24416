"""A story as text for a learner (one line per step), or as JSON; the longest waits as hints."""

from __future__ import annotations

import json

import pandas as pd

from batchsim.explain.model import Story
from batchsim.explain.timefmt import clock, span


def story_text(story: Story) -> str:
    """Return ``story`` as text: a heading, then each step's start, state, length and cause."""
    tried = f"{story.attempts} attempt{'s' if story.attempts != 1 else ''}"
    lines = [
        f'Job {story.job_id} ("jobName" {story.job_name}, workload entry {story.workload}, '
        f'job queue "{story.queue}"): {story.status} after {tried}',
        "",
    ]
    for step in story.steps:
        length = "" if step.length_s is None else span(step.length_s)
        state = step.state if step.attempt is None else f"{step.state} #{step.attempt}"
        lines.append(f"  {clock(step.start_at):>11}  {state:<18} {length:<14} {step.text}")
    return "\n".join(lines)


def story_json(story: Story) -> str:
    """Return ``story`` as indented JSON (times in seconds from t=0)."""
    return json.dumps(story.to_dict(), indent=2, ensure_ascii=False)


def hints_text(waits: pd.DataFrame) -> str:
    """Return the longest waits (from :func:`batchsim.explain.longest_waits`) as a hint."""
    if waits.empty:
        return "no job waited in RUNNABLE; give --job ID|NAME to explain one"
    lines = ["jobs that waited longest in RUNNABLE (explain one with --job ID):"]
    for _, row in waits.iterrows():
        lines.append(f"  {row['jobId']:<28} {span(float(row['waitSeconds'])):<14} {row['status']}")
    return "\n".join(lines)
