#!/usr/bin/env python3
"""Writes the Prometheus rule files and the Grafana dashboards of examples/monitoring from
one description, for this library's default metric names and for its OpenTelemetry preset
(`Naming::opentelemetry()`), so that the two never drift apart.

    python3 examples/monitoring/generate.py            # rewrite the files
    python3 examples/monitoring/generate.py --check    # exit 1 if a file is not current
    python3 examples/monitoring/generate.py --availability 0.995 --latency-threshold 1 \
        --latency-target 0.95 --out /tmp/mine         # your own objectives

The objectives: the share of requests that must not fail with a 5xx (availability, 99.9 %
by default), and the share that must finish within a latency threshold (99 % within 0.5 s),
per job over 30 days. The threshold must be one of the latency histogram's bucket bounds
(0.005 0.01 0.025 0.05 0.075 0.1 0.25 0.5 0.75 1 2.5 5 7.5 10 by default; `--buckets` for
others), and each burn rate times the budget must stay below 1, or its alert could not fire.

Nothing but the standard library: the output is YAML and JSON written by hand.
"""

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# The metric and label names of each naming (core/src/naming.rs).
NAMINGS = {
    "": {
        "title": "this library's default names",
        "requests": "http_requests_total",
        "requests_stem": "http_requests",
        "duration": "http_request_duration_seconds",
        "in_flight": "http_requests_in_flight",
        "method": "method",
        "route": "route",
        "status": "status",
    },
    "-otel": {
        "title": "the OpenTelemetry preset (Naming::opentelemetry())",
        # OpenTelemetry counts requests with the duration histogram's count.
        "requests": "http_server_request_duration_seconds_count",
        "requests_stem": "http_server_requests",
        "duration": "http_server_request_duration_seconds",
        "in_flight": "http_server_active_requests",
        "method": "http_request_method",
        "route": "http_route",
        "status": "http_response_status_code",
    },
}

QUANTILES = ["0.5", "0.9", "0.99"]
# The latency histogram's default bucket bounds (core's DEFAULT_BUCKETS).
DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0]
# The Google SRE workbook's multiwindow, multi-burn-rate alerts for a 30-day objective:
# (name, long window, short window, burn rate, for).
BURNS = [
    ("Fast", "1h", "5m", 14.4, "2m"),
    ("Slow", "6h", "30m", 6, "15m"),
]
SLO_WINDOWS = ["5m", "30m", "1h", "6h"]


def runbook(alert):
    """Where an alert's reader finds what to do about it: the alert's own section of the
    runbook in the http-metrics repository (GitHub's anchor of a heading is its text in lower
    case)."""
    return f"docs/dashboards-and-alerts.md#{alert.lower()}"



def number(value):
    """A float as PromQL and YAML write it: no trailing `.0` for whole numbers."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


# --- YAML, for the small shapes of a rule file ----------------------------------------------


def scalar(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(value)
    text = str(value)
    # Quoted unless plainly safe: PromQL and templates are full of YAML's specials, and a
    # label value that looks like a number must stay a string.
    try:
        float(text)
        looks_like_number = True
    except ValueError:
        looks_like_number = False
    plain = all(c.isalnum() or c in "_-./:" for c in text) and not text.endswith(":")
    yaml_words = ("true", "false", "null", "yes", "no", "on", "off", "y", "n", "~")
    if text and plain and not looks_like_number and text.lower() not in yaml_words:
        return text
    return json.dumps(text)


def yaml(value, indent=0):
    pad = " " * indent
    lines = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and "\n" in item:
                lines.append(f"{pad}{key}: |-")
                lines.extend(f"{pad}  {line}" if line else "" for line in item.split("\n"))
            elif isinstance(item, (dict, list)):
                lines.append(f"{pad}{key}:")
                lines.append(yaml(item, indent + 2))
            else:
                lines.append(f"{pad}{key}: {scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                body = yaml(item, indent + 2).split("\n")
                lines.append(f"{pad}- {body[0].lstrip()}")
                lines.extend(body[1:])
            else:
                lines.append(f"{pad}- {scalar(item)}")
    return "\n".join(lines)


# --- Rules --------------------------------------------------------------------------------------


def http_rules(n, slo):
    req, stem, dur = n["requests"], n["requests_stem"], n["duration"]
    route, status = n["route"], n["status"]
    level = f"job_{route}"
    errors = f'{req}{{{status}=~"5.."}}'
    # As the library writes bucket bounds: always with a decimal point ("1.0", "0.5").
    le = repr(float(slo.latency_threshold))
    recording = [
        {
            "record": f"{level}:{stem}:rate5m",
            "expr": f"sum by (job, {route}) (rate({req}[5m]))",
        },
        {
            "record": f"{level}_{status}:{stem}:rate5m",
            "expr": f"sum by (job, {route}, {status}) (rate({req}[5m]))",
        },
        {
            # `or … * 0`: a route that never failed has a ratio of 0, not none.
            "record": f"{level}:{stem}_errors:ratio_rate5m",
            "expr": (
                f"(\n  sum by (job, {route}) (rate({errors}[5m]))\n  or\n  {level}:{stem}:rate5m * 0\n)\n"
                f"/\n{level}:{stem}:rate5m"
            ),
        },
        {
            "record": f"{level}_le:{dur}_bucket:rate5m",
            "expr": f"sum by (job, {route}, le) (rate({dur}_bucket[5m]))",
        },
    ]
    for q in QUANTILES:
        recording.append(
            {
                "record": f"{level}_quantile:{dur}:histogram_quantile_rate5m",
                "expr": f"histogram_quantile({q}, {level}_le:{dur}_bucket:rate5m)",
                "labels": {"quantile": q},
            }
        )
    recording.append(
        {
            "record": f"{level}:{n['in_flight']}:sum",
            "expr": f"sum by (job, {route}) ({n['in_flight']})",
        }
    )
    error_ratio = f"job:{stem}_errors:ratio_rate"
    slow_ratio = f"job:{dur}_over_{slo.threshold_name}:ratio_rate"
    slo_rules = []
    for w in SLO_WINDOWS:
        slo_rules.append(
            {
                "record": f"{error_ratio}{w}",
                "expr": (
                    f"(\n  sum by (job) (rate({errors}[{w}]))\n  or\n  sum by (job) (rate({req}[{w}])) * 0\n)\n"
                    f"/\nsum by (job) (rate({req}[{w}]))"
                ),
            }
        )
    for w in SLO_WINDOWS:
        slo_rules.append(
            {
                "record": f"{slow_ratio}{w}",
                "expr": (
                    f'1 - (\n  sum by (job) (rate({dur}_bucket{{le="{le}"}}[{w}]))\n  /\n'
                    f"  sum by (job) (rate({dur}_count[{w}]))\n)"
                ),
            }
        )
    alerts = []
    error_budget = 1 - slo.availability
    latency_budget = 1 - slo.latency_target
    for name, long, short, burn, for_ in BURNS:
        threshold = number(round(burn * error_budget, 10))
        alerts.append(
            alert(
                f"HTTPErrorBudgetBurn{name}",
                f"{error_ratio}{long} > {threshold}\nand\n{error_ratio}{short} > {threshold}",
                for_,
                f"{{{{ $labels.job }}}} fails too many requests: the error budget burns {number(burn)} times too fast",
                (
                    f"{{{{ $value | humanizePercentage }}}} of {{{{ $labels.job }}}}'s requests "
                    f"answered 5xx over the last {long} (and {short}), against an objective of "
                    f"{slo.availability_percent}% that do not. At this rate the "
                    f"30-day error budget is gone in {number(round(30 / burn, 1))} days."
                ),
                labels={"severity": "page", "long_window": long},
            )
        )
    for name, long, short, burn, for_ in BURNS:
        threshold = number(round(burn * latency_budget, 10))
        alerts.append(
            alert(
                f"HTTPLatencyBudgetBurn{name}",
                f"{slow_ratio}{long} > {threshold}\nand\n{slow_ratio}{short} > {threshold}",
                for_,
                f"{{{{ $labels.job }}}} is too slow: the latency budget burns {number(burn)} times too fast",
                (
                    f"{{{{ $value | humanizePercentage }}}} of {{{{ $labels.job }}}}'s requests "
                    f"took longer than {number(slo.latency_threshold)} s over the last {long} (and {short}), against an "
                    f"objective of {slo.latency_target_percent}% within it."
                ),
                labels={"severity": "page", "long_window": long},
            )
        )
    return {
        "groups": [
            {"name": f"http-golden-signals{n['suffix']}", "rules": recording},
            {"name": f"http-slo{n['suffix']}", "rules": slo_rules},
            {"name": f"http-slo-alerts{n['suffix']}", "rules": alerts},
        ]
    }


def alert(name, expr, for_, summary, description, labels=None):
    """An alerting rule, a warning unless `labels` say otherwise, with its runbook's link."""
    return {
        "alert": name,
        "expr": expr,
        "for": for_,
        "labels": labels or {"severity": "warning"},
        "annotations": {
            "summary": summary,
            "description": description,
            "runbook": runbook(name),
        },
    }


def pipeline_rules(slo):
    max_age = number(slo.batch_max_age)
    return {
        "groups": [
            {
                "name": "http-metrics-pipeline",
                "rules": [
                    alert(
                        "TargetDown",
                        "up == 0",
                        "5m",
                        "{{ $labels.job }} at {{ $labels.instance }} cannot be scraped",
                        "Prometheus has failed to scrape {{ $labels.instance }} for 5 minutes: "
                        "the process is down, or /metrics is unreachable or refusing "
                        "Prometheus. Its other alerts cannot fire meanwhile.",
                    ),
                    alert(
                        "HTTPMetricsCardinalityCapReached",
                        "increase(metrics_series_folded_total[10m]) > 0",
                        "0m",
                        "{{ $labels.job }} folds {{ $labels.metric }} updates into its overflow series",
                        "{{ $labels.metric }} reached its series cap in {{ $labels.job }}: "
                        "{{ $value | humanize }} updates in 10 minutes went to the series "
                        'labelled otel_metric_overflow="true" instead of their own.',
                    ),
                    alert(
                        "MetricsCollectorFailing",
                        # A collector's series for a reason appears with its first failure,
                        # which `increase` cannot see: new series count too.
                        "increase(metrics_collector_failures_total[10m]) > 0\n"
                        "or\n(metrics_collector_failures_total unless metrics_collector_failures_total offset 10m)",
                        "0m",
                        "{{ $labels.job }}'s collector {{ $labels.collector }} is left out of scrapes",
                        "The collector {{ $labels.collector }} of {{ $labels.job }} failed "
                        "in the last 10 minutes ({{ $labels.reason }}, {{ $value | humanize }} "
                        "scrapes): its metrics are missing from those scrapes.",
                    ),
                    alert(
                        "BatchJobStale",
                        f"time() - batch_last_success_timestamp_seconds > {max_age}",
                        "5m",
                        "batch job {{ $labels.job }} has not succeeded for {{ $value | humanizeDuration }}",
                        "The last success the batch job {{ $labels.job }} pushed to the "
                        f"Pushgateway is older than {number(slo.batch_max_age / 3600)} hours.",
                    ),
                    alert(
                        "BatchJobFailed",
                        # A first run that failed has no success to compare with.
                        "batch_last_failure_timestamp_seconds\n"
                        "> (batch_last_success_timestamp_seconds or batch_last_failure_timestamp_seconds * 0)",
                        "0m",
                        "the last run of batch job {{ $labels.job }} failed",
                        "The batch job {{ $labels.job }} pushed a failure after its last success.",
                    ),
                    alert(
                        "RemoteWriteFailing",
                        # The newest value of the last hour: a process that is only
                        # remote-written stops sending this series too when it fails.
                        "time() - max_over_time(remote_write_last_success_timestamp_seconds[1h]) > 300",
                        "0m",
                        "{{ $labels.job }} has not remote-written to {{ $labels.url }} for {{ $value | humanizeDuration }}",
                        "No remote-write request of {{ $labels.job }} to {{ $labels.url }} has "
                        "succeeded for over 5 minutes: the receiver is down, unreachable or "
                        "refusing it. Samples wait in the sender's buffer until it is full. "
                        "(Evaluate it where the sender's own series land: a Prometheus that "
                        "scrapes the process, or the receiver's other replicas.)",
                    ),
                    alert(
                        "RemoteWriteSamplesLost",
                        "increase(remote_write_samples_dropped_total[10m]) > 0\n"
                        "or\nincrease(remote_write_samples_failed_total[10m]) > 0",
                        "0m",
                        "{{ $labels.job }} loses samples on their way to {{ $labels.url }}",
                        "{{ $value | humanize }} samples of {{ $labels.job }} were dropped (the "
                        "buffer was full) or refused for good by {{ $labels.url }} in 10 minutes.",
                    ),
                ],
            }
        ]
    }


def rule_file(rules, header):
    lines = [f"# {line}" if line else "#" for line in header]
    return "\n".join(lines) + "\n" + yaml(rules) + "\n"


# --- Dashboard ----------------------------------------------------------------------------------

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


class Panels:
    def __init__(self):
        self.panels = []
        self.y = 0
        self.x = 0
        self.row_height = 0

    def row(self, title):
        self.newline()
        self.panels.append(
            {
                "type": "row",
                "title": title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y},
                "id": len(self.panels) + 1,
                "panels": [],
            }
        )
        self.y += 1

    def newline(self):
        if self.x:
            self.y += self.row_height
            self.x = 0
            self.row_height = 0

    def add(self, title, targets, unit, description, width=12, stack=False, kind="timeseries"):
        height = 8
        if self.x + width > 24:
            self.newline()
        panel = {
            "type": kind,
            "title": title,
            "description": description,
            "datasource": DATASOURCE,
            "gridPos": {"h": height, "w": width, "x": self.x, "y": self.y},
            "id": len(self.panels) + 1,
            "fieldConfig": {
                "defaults": {
                    "unit": unit,
                    "custom": {"fillOpacity": 10, "stacking": {"mode": "normal" if stack else "none"}},
                },
                "overrides": [],
            },
            "options": {
                "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                "tooltip": {"mode": "multi", "sort": "desc"},
            },
            "targets": [
                {
                    "datasource": DATASOURCE,
                    "expr": expr,
                    "legendFormat": legend,
                    "refId": chr(ord("A") + i),
                }
                for i, (expr, legend) in enumerate(targets)
            ],
        }
        self.panels.append(panel)
        self.x += width
        self.row_height = max(self.row_height, height)


def dashboard(n, suffix):
    req, dur, route, status = n["requests"], n["duration"], n["route"], n["status"]
    sel = f'job=~"$job", {route}=~"$route"'
    rate = "$__rate_interval"
    p = Panels()
    p.row("Golden signals")
    p.add(
        "Traffic: requests per second, by route",
        [(f"sum by ({route}) (rate({req}{{{sel}}}[{rate}]))", f"{{{{{route}}}}}")],
        "reqps",
        "Requests recorded per second on each route template. Unmatched requests (404s) "
        "share the route `unmatched`.",
        stack=True,
    )
    p.add(
        "Traffic: responses per second, by status",
        [(f"sum by ({status}) (rate({req}{{{sel}}}[{rate}]))", f"{{{{{status}}}}}")],
        "reqps",
        "Responses per second by status code: 499 is a client that went away first.",
        stack=True,
    )
    p.add(
        "Errors: share of requests answered 5xx, by route",
        [
            (
                f'(\n  sum by ({route}) (rate({req}{{{sel}, {status}=~"5.."}}[{rate}]))\n  or\n'
                f"  sum by ({route}) (rate({req}{{{sel}}}[{rate}])) * 0\n)\n/\n"
                f"sum by ({route}) (rate({req}{{{sel}}}[{rate}]))",
                f"{{{{{route}}}}}",
            )
        ],
        "percentunit",
        "Server errors as a share of each route's requests (0 for a route without any). "
        "4xx answers and 499s are the client's doing and are not counted.",
    )
    p.add(
        "Latency: p50, p90 and p99 of the selected routes",
        [
            (
                f"histogram_quantile({q}, sum by (le) (rate({dur}_bucket{{{sel}}}[{rate}])))",
                f"p{number(float(q) * 100)}",
            )
            for q in QUANTILES
        ],
        "s",
        "Quantiles of the request duration (to the end of the response body), estimated from "
        "the histogram's buckets across the selected jobs and routes.",
    )
    p.add(
        "Latency: p99 by route",
        [
            (
                f"histogram_quantile(0.99, sum by ({route}, le) (rate({dur}_bucket{{{sel}}}[{rate}])))",
                f"{{{{{route}}}}}",
            )
        ],
        "s",
        "The 99th percentile of each route's request duration.",
    )
    p.add(
        "Saturation: requests in flight, by route",
        [(f"sum by ({route}) ({n['in_flight']}{{{sel}}})", f"{{{{{route}}}}}")],
        "short",
        "Requests that have entered the service and are not finished: a queue building up "
        "shows here before it shows in latency.",
        stack=True,
    )
    p.row("Process")
    p.add(
        "CPU: cores used",
        [('rate(process_cpu_seconds_total{job=~"$job"}[$__rate_interval])', "{{job}} {{instance}}")],
        "short",
        "CPU time the process used per second, user and system.",
        width=8,
    )
    p.add(
        "Memory: resident",
        [('process_resident_memory_bytes{job=~"$job"}', "{{job}} {{instance}}")],
        "bytes",
        "Resident memory of the process.",
        width=8,
    )
    p.add(
        "File descriptors: share of the limit in use",
        [('process_open_fds{job=~"$job"} / process_max_fds{job=~"$job"}', "{{job}} {{instance}}")],
        "percentunit",
        "Open file descriptors (sockets included) against the process' limit.",
        width=8,
    )
    p.row("Health of the metrics")
    p.add(
        "Updates folded into overflow series, per second",
        [
            (
                'sum by (job, metric) (rate(metrics_series_folded_total{job=~"$job"}[$__rate_interval]))\n'
                "or on () vector(0)",
                "{{job}} {{metric}}",
            )
        ],
        "short",
        "Updates of a capped metric (the HTTP metrics past `max_series`, a CappedFamily past "
        'its cap) recorded in its `otel_metric_overflow="true"` series instead of their own. '
        "Anything above 0 means a label has more values than planned.",
    )
    p.add(
        "Samples per scrape",
        [('scrape_samples_scraped{job=~"$job"}', "{{job}} {{instance}}")],
        "short",
        "Samples in each scrape of the job (Prometheus' own figure): how its series grow.",
    )
    p.row("Application: users service")
    users = 'job=~"$job"'
    p.add(
        "Users created per second, by source",
        [(f"sum by (source) (rate(users_created_total{{{users}}}[{rate}]))", "{{source}}")],
        "short",
        "users_created_total: sign-ups by the client they came from.",
        width=8,
        stack=True,
    )
    p.add(
        "Database query latency p99, by operation",
        [
            (
                f"histogram_quantile(0.99, sum by (operation, le) (rate(db_query_latency_seconds_bucket{{{users}}}[{rate}])))",
                "{{operation}}",
            )
        ],
        "s",
        "db_query_latency_seconds: the simulated database's query time.",
        width=8,
    )
    p.add(
        "Cache hit ratio",
        [
            (
                f'sum(rate(cache_operations_total{{{users}, operation="get", result="hit"}}[{rate}]))\n/\n'
                f'sum(rate(cache_operations_total{{{users}, operation="get"}}[{rate}]))',
                "hit ratio",
            )
        ],
        "percentunit",
        "cache_operations_total: lookups answered from the cache.",
        width=8,
    )
    p.add(
        "Database connections in use",
        [
            (f'sum by (job) (db_active_connections{{{users}, pool_name="primary"}})', "{{job}} active"),
            (f'max by (job) (db_pool_size{{{users}, pool_name="primary"}})', "{{job}} pool size"),
        ],
        "short",
        "The pool the custom collector reports at each scrape.",
        width=12,
    )
    p.add(
        "Database queries per second, by operation, and those that found no connection",
        [
            (f"sum by (operation) (rate(db_queries_total{{{users}}}[{rate}]))", "{{operation}}"),
            (f"sum by (job) (rate(db_pool_exhausted_total{{{users}}}[{rate}]))", "{{job}} pool exhausted"),
        ],
        "short",
        "db_queries_total and db_pool_exhausted_total, from the custom collector: a pool that "
        "cannot keep up answers 503s.",
        width=12,
    )
    p.row("Application: orders service")
    orders = 'job=~"$job"'
    p.add(
        "Orders per second, by payment method",
        [(f"sum by (payment_method) (rate(orders_total{{{orders}}}[{rate}]))", "{{payment_method}}")],
        "short",
        "orders_total: completed orders.",
        width=8,
        stack=True,
    )
    p.add(
        "Revenue per second, by category",
        [
            (
                f"sum by (product_category) (rate(revenue_dollars_total{{{orders}}}[{rate}]))",
                "{{product_category}}",
            )
        ],
        "currencyUSD",
        "revenue_dollars_total.",
        width=8,
        stack=True,
    )
    p.add(
        "Order value: median and p90",
        [
            (
                f"histogram_quantile({q}, sum by (le) (rate(order_value_dollars_bucket{{{orders}}}[{rate}])))",
                f"p{number(float(q) * 100)}",
            )
            for q in ["0.5", "0.9"]
        ],
        "currencyUSD",
        "order_value_dollars: the distribution of order totals.",
        width=8,
    )
    p.add(
        "Inventory level, by product",
        [(f"sum by (product_id) (inventory_level{{{orders}}})", "{{product_id}}")],
        "short",
        "inventory_level, capped at its series limit.",
        width=12,
    )
    p.add(
        "Deployed versions",
        [(f"count by (job, version, environment) (orders_service_info{{{orders}}})", "{{job}} {{version}} {{environment}}")],
        "short",
        "orders_service_info: which version runs where.",
        width=12,
    )
    return {
        "annotations": {"list": []},
        "description": f"Golden signals of HTTP services instrumented with tower-metrics or actix-metrics ({n['title']}), their processes, the metrics' own health, and the example services' application metrics.",
        "editable": True,
        "graphTooltip": 1,
        "panels": p.panels,
        "refresh": "30s",
        "schemaVersion": 39,
        "tags": ["http", "golden-signals"],
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Data source",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {},
                    "hide": 0,
                },
                {
                    "name": "job",
                    "label": "Job",
                    "type": "query",
                    "datasource": DATASOURCE,
                    "query": {"query": f"label_values({dur}_count, job)", "refId": "job"},
                    "definition": f"label_values({dur}_count, job)",
                    "refresh": 2,
                    "multi": True,
                    "includeAll": True,
                    "allValue": ".+",
                    "current": {"text": ["All"], "value": ["$__all"]},
                    "sort": 1,
                },
                {
                    "name": "route",
                    "label": "Route",
                    "type": "query",
                    "datasource": DATASOURCE,
                    "query": {"query": f'label_values({dur}_count{{job=~"$job"}}, {route})', "refId": "route"},
                    "definition": f'label_values({dur}_count{{job=~"$job"}}, {route})',
                    "refresh": 2,
                    "multi": True,
                    "includeAll": True,
                    "allValue": ".+",
                    "current": {"text": ["All"], "value": ["$__all"]},
                    "sort": 1,
                },
            ]
        },
        "time": {"from": "now-1h", "to": "now"},
        "timepicker": {},
        "timezone": "",
        "title": "HTTP golden signals" + (" (OpenTelemetry names)" if suffix else ""),
        "uid": "http-metrics" + suffix,
        "version": 1,
    }


# --- Main ---------------------------------------------------------------------------------------


class Objectives:
    def __init__(self, args):
        self.availability = args.availability
        self.latency_threshold = args.latency_threshold
        self.latency_target = args.latency_target
        self.batch_max_age = args.batch_max_age
        self.threshold_name = (number(args.latency_threshold) + "s").replace(".", "_")
        # As the texts write them: 99.9, 99.
        self.availability_percent = number(round(args.availability * 100, 6))
        self.latency_target_percent = number(round(args.latency_target * 100, 6))


def outputs(slo):
    files = {}
    for suffix, n in NAMINGS.items():
        n = dict(n, suffix=suffix)
        header = [
            f"Recording and alerting rules for HTTP services, with {n['title']}.",
            f"Generated by examples/monitoring/generate.py (objectives: {slo.availability_percent}% of",
            f"requests without a 5xx, {slo.latency_target_percent}% within {number(slo.latency_threshold)} s); edit it, not this file.",
            "Load with `rule_files:` in prometheus.yml; see docs/dashboards-and-alerts.md.",
        ]
        files[f"rules/http{suffix}.rules.yml"] = rule_file(http_rules(n, slo), header)
        files[f"dashboards/http-metrics{suffix}.json"] = (
            json.dumps(dashboard(n, suffix), indent=2, ensure_ascii=False) + "\n"
        )
    files["rules/pipeline.rules.yml"] = rule_file(
        pipeline_rules(slo),
        [
            "Alerts on what carries the metrics: scrape targets, the series caps, custom",
            "collectors, Pushgateway batch jobs and remote-write senders.",
            "Generated by examples/monitoring/generate.py; edit it, not this file.",
        ],
    )
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if a file is not current")
    parser.add_argument("--out", type=Path, default=HERE, help="where to write (default: here)")
    parser.add_argument("--availability", type=float, default=0.999)
    parser.add_argument("--latency-threshold", type=float, default=0.5)
    parser.add_argument("--latency-target", type=float, default=0.99)
    parser.add_argument(
        "--batch-max-age", type=float, default=25 * 3600, help="seconds since a batch job's last success"
    )
    parser.add_argument(
        "--buckets",
        type=lambda text: [float(b) for b in text.replace(",", " ").split()],
        default=DEFAULT_BUCKETS,
        help="the latency histogram's bucket bounds, if not the default ones",
    )
    args = parser.parse_args()
    for name, value in [("availability", args.availability), ("latency-target", args.latency_target)]:
        if not 0 < value < 1:
            parser.error(f"--{name} is a share between 0 and 1, not {value}")
    if args.latency_threshold not in args.buckets:
        parser.error(
            f"--latency-threshold {number(args.latency_threshold)} is not a bucket bound of the "
            f"latency histogram ({' '.join(map(number, args.buckets))}); give --buckets if "
            "yours differ"
        )
    for name, share in [("availability", args.availability), ("latency-target", args.latency_target)]:
        for _, long, short, burn, _ in BURNS:
            if burn * (1 - share) >= 1:
                parser.error(
                    f"--{name} {share}: the {long}/{short} alert would need more than all "
                    f"requests to fail ({number(burn)} × {number(round(1 - share, 10))} ≥ 1)"
                )
    stale = []
    for path, text in outputs(Objectives(args)).items():
        target = args.out / path
        if args.check:
            if not target.exists() or target.read_text() != text:
                stale.append(path)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    if stale:
        print(
            "not current: " + ", ".join(stale) + "\nrun python3 examples/monitoring/generate.py",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
