"""The group directory: groups with rendered descriptions, and the facets they are filed under."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from markupsafe import Markup

from hubgen.config import SiteConfig
from hubgen.content import GroupSource, slugify
from hubgen.errors import Problems
from hubgen.groupspec import FORMAT_LABELS
from hubgen.links import site_paths
from hubgen.markdown import MarkdownRenderer
from hubgen.models import Facet, Group
from hubgen.routes import expand, url


@dataclass(frozen=True)
class Directory:
    groups: tuple[Group, ...]  # by name
    topics: tuple[Facet, ...]  # by name
    formats: tuple[Facet, ...]  # in the schema's order
    countries: tuple[Facet, ...]  # by name


def facets(names: Iterable[str], pattern: str, config: SiteConfig) -> dict[str, Facet]:
    """Facets keyed by slug, counted; the display name is the most used spelling."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for name in names:
        spellings[slugify(name)][name.strip()] += 1
    found = {}
    for slug, counter in spellings.items():
        name = sorted(counter.items(), key=lambda item: (-item[1], item[0]))[0][0]
        found[slug] = Facet(name, slug, url(config, expand(pattern, slug)), sum(counter.values()))
    return found


def by_name(items: Iterable[Facet]) -> tuple[Facet, ...]:
    return tuple(sorted(items, key=lambda f: (f.name.lower(), f.slug)))


def _group(
    source: GroupSource,
    config: SiteConfig,
    renderer: MarkdownRenderer,
    topics: Mapping[str, Facet],
    formats: Mapping[str, Facet],
    countries: Mapping[str, Facet],
    problems: Problems,
) -> Group:
    spec = source.spec
    description = Markup("")
    if spec.description:
        rendered, link_problems = renderer.render(
            spec.description,
            resolve=site_paths(config.base_path),
            source=source.source,
            body_line=source.marks.value(("description",))[0],
        )
        problems.extend(link_problems)
        description = rendered.html
    country = spec.location.country if spec.location else None
    return Group(
        source=source.source,
        slug=source.slug,
        url=url(config, expand(config.permalinks.group, source.slug)),
        name=spec.name,
        summary=spec.summary,
        description=description,
        kind=spec.kind,
        topics=tuple(topics[slugify(t)] for t in spec.topics),
        audience=spec.audience,
        format=spec.format,
        format_facet=formats[spec.format] if spec.format else None,
        location=spec.location,
        country_facet=countries[slugify(country)] if country else None,
        timezone=spec.timezone,
        meetings=spec.meetings,
        size=spec.size,
        capacity=spec.capacity,
        status=spec.status,
        join=spec.join,
        organizers=spec.organizers,
        founded=spec.founded,
        ground_rules=spec.ground_rules,
        links=tuple((spec.links or {}).items()),
        milestones=spec.milestones,
        zone=spec.timezone or config.timezone,
    )


def assemble_directory(
    sources: Iterable[GroupSource], config: SiteConfig, problems: Problems
) -> Directory:
    specs = list(sources)
    topics = facets((t for g in specs for t in g.spec.topics), "/groups/topics/{slug}/", config)
    countries = facets(
        (g.spec.location.country for g in specs if g.spec.location and g.spec.location.country),
        "/groups/countries/{slug}/",
        config,
    )
    counts = Counter(g.spec.format for g in specs if g.spec.format)
    formats = {
        f: Facet(FORMAT_LABELS[f], f, url(config, f"/groups/formats/{f}/"), counts[f])
        for f in FORMAT_LABELS
        if counts[f]
    }
    renderer = MarkdownRenderer(raw_html=config.markdown.raw_html_groups)
    groups = sorted(
        (_group(g, config, renderer, topics, formats, countries, problems) for g in specs),
        key=lambda g: (g.name.lower(), g.slug),
    )
    return Directory(
        tuple(groups),
        by_name(topics.values()),
        tuple(formats.values()),
        by_name(countries.values()),
    )
