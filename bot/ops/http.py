"""Where /healthz and /metrics are served: beside the webhook on its aiohttp app, or, in
polling mode, on a small server of their own (METRICS_HOST:METRICS_PORT, off by default)."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.ops.health import Health
from bot.ops.metrics import Metrics

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"


def ops_routes(metrics: Metrics, health: Health) -> list[web.RouteDef]:
    async def healthz(_: web.Request) -> web.Response:
        report = await health.report()
        return web.json_response(report.body, status=report.status_code)

    async def scrape(_: web.Request) -> web.Response:
        body = await metrics.render()
        # CONTENT_TYPE_LATEST carries its charset, which aiohttp wants as a header, not
        # as `content_type`.
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return [web.get(HEALTH_PATH, healthz), web.get(METRICS_PATH, scrape)]


async def serve_ops(host: str, port: int, routes: list[web.RouteDef]) -> web.AppRunner:
    """Start the small server; the caller cleans the returned runner up at the end."""
    app = web.Application()
    app.add_routes(routes)
    runner = web.AppRunner(app, access_log=None)  # a scrape every few seconds is no news
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError:
        await runner.cleanup()
        raise
    return runner
