"""Production hardening: a Content-Security-Policy on every answer, a lockout for password
guessing at the admin sign-in, and API tokens that never reach the logs.

The CSP checks read the headers through the test client, then a real Chromium (Debian's
package, driven by Playwright) opens the admin, the API docs and the embed pages against the
live server and asserts that the browser reported no policy violation while they worked.
The lockout checks sign in through the admin's real login form (django-axes counts failures
per username and client address; config/security.py finds that address).
"""

from __future__ import annotations

import io
import logging
import re
import secrets
from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.test import Client, RequestFactory, override_settings
from django.urls import path
from rest_framework.test import APIClient

from api.docs import REDOC_LOGO
from config import urls as project_urls
from config.observability import WITHHELD, JSONFormatter
from config.security import ADMIN_CSP_UPDATE, client_ip
from tests import browser_support as ui
from tests.factories import FacilityFactory, api_token, update

PASSWORD = "Kestrel-Orbit-4412"
WRONG = "not-the-password-7731"


def directives(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as {directive: [sources]} (order-free)."""
    header = response["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        assert name not in parsed, f"{name} given twice in {header}"
        parsed[name] = sources
    return parsed


def assert_site_wide_policy(policy: dict[str, list[str]]) -> None:
    """The strict default: nothing inline, nothing from elsewhere, never framed."""
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["font-src"] == ["'self'"]
    assert sorted(policy["img-src"]) == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    every_source = {source for sources in policy.values() for source in sources}
    assert not every_source & {"'unsafe-inline'", "'unsafe-eval'", "*", "blob:", "https:"}


# --- Content-Security-Policy: headers ---------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_login_page_has_the_strict_policy_and_its_attribute_hashes(client):
    response = client.get("/admin/login/")

    assert response.status_code == HTTPStatus.OK
    policy = directives(response)
    attributes = {key: policy.pop(key) for key in ("script-src-attr", "style-src-attr")}
    assert_site_wide_policy(policy)
    # The admin's third-party templates: four exact inline attributes, by hash, nothing else.
    assert attributes == ADMIN_CSP_UPDATE
    assert all(
        source == "'unsafe-hashes'" or source.startswith("'sha256-")
        for sources in attributes.values()
        for source in sources
    )
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/", HTTPStatus.OK),
        ("/api/v1/facilities/", HTTPStatus.OK),
        ("/api/v1/facilities/?format=csv", HTTPStatus.OK),
        ("/api/v1/facilities/?bogus=1", HTTPStatus.BAD_REQUEST),
        ("/api/v1/facilities/no-such-facility/", HTTPStatus.NOT_FOUND),
        ("/api/v1/no-such-resource/", HTTPStatus.NOT_FOUND),
        ("/no-such-page", HTTPStatus.NOT_FOUND),
        ("/oembed", HTTPStatus.BAD_REQUEST),
        ("/feeds/changes.atom", HTTPStatus.OK),
        ("/healthz", HTTPStatus.OK),
    ],
)
def test_api_answers_and_errors_carry_the_site_wide_policy(api, url, status):
    FacilityFactory()
    # Twice: the second answer may come from the response cache and must keep its header.
    for _ in range(2):
        response = api.get(url)
        assert response.status_code == status, response.content[:300]
        assert_site_wide_policy(directives(response))


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_allow_their_own_inline_code_by_a_fresh_nonce(client, url):
    first, second = client.get(url), client.get(url)

    assert first.status_code == second.status_code == HTTPStatus.OK
    nonces = []
    for response in (first, second):
        policy = directives(response)
        (nonce,) = [s for s in policy["script-src"] if s.startswith("'nonce-")]
        assert policy["script-src"] == ["'self'", nonce]
        assert nonce in policy["style-src"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["object-src"] == ["'none'"]
        html = response.content.decode()
        value = nonce.removeprefix("'nonce-").removesuffix("'")
        inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
        assert inline_scripts, "the page starts its viewer with an inline script"
        assert all(f'nonce="{value}"' in attributes for attributes in inline_scripts)
        assert all(f'nonce="{value}"' in a for a in re.findall(r"<style([^>]*)>", html))
        every_source = {source for sources in policy.values() for source in sources}
        assert "'unsafe-inline'" not in every_source
        assert "'unsafe-eval'" not in every_source
        assert "fonts.googleapis.com" not in html
        nonces.append(nonce)
    assert nonces[0] != nonces[1], "a nonce must never be reused (or cached)"


@pytest.mark.django_db
def test_redoc_may_run_its_search_worker_and_loads_no_image_from_elsewhere(client):
    policy = directives(client.get("/api/redoc/"))

    assert policy["worker-src"] == ["blob:"]
    # Its CDN logo is gone from the bundle it loads (api/docs.py), and from the policy.
    assert sorted(policy["img-src"]) == ["'self'", "data:"]
    assert REDOC_LOGO not in str(policy)
    assert policy["connect-src"] == ["'self'"]


@pytest.mark.django_db
def test_swagger_ui_needs_nothing_beyond_its_nonce(client):
    policy = directives(client.get("/api/docs/"))

    assert "worker-src" not in policy
    assert sorted(policy["img-src"]) == ["'self'", "data:"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/embed/", HTTPStatus.OK),
        ("/embed/facilities/", HTTPStatus.OK),
        ("/embed/programmes/?lang=ja", HTTPStatus.OK),
        ("/embed/calls/", HTTPStatus.OK),
        ("/embed/facilities/?limit=many", HTTPStatus.BAD_REQUEST),
    ],
)
def test_embed_pages_keep_their_own_policy_and_may_be_framed_anywhere(client, url, status):
    FacilityFactory()
    for _ in range(2):  # the second may be a response-cache hit
        response = client.get(url)
        assert response.status_code == status
        policy = directives(response)
        assert policy["frame-ancestors"] == ["*"]
        assert policy["default-src"] == ["'none'"]
        assert policy["base-uri"] == ["'none'"]
        assert "X-Frame-Options" not in response
        # The widget's own policy replaces the site-wide one; it is not merged into it.
        assert "'self'" not in policy.get("img-src", [])
        assert "script-src-attr" not in policy


# --- Admin sign-in lockout (django-axes) ------------------------------------------------------


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Dozens of sign-ins here: a fast hasher keeps each under a millisecond, not a second."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff(django_user_model):
    """Two staff accounts that sign in to the admin."""
    return [
        django_user_model.objects.create_user(name, password=PASSWORD, is_staff=True)
        for name in ("lockout-curator", "lockout-editor")
    ]


def sign_in(client, username: str, password: str, **headers):
    """POST the admin's login form, as the browser does."""
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
        **headers,
    )


def signed_in(client) -> bool:
    return client.get("/admin/").status_code == HTTPStatus.OK


def lock_out(client, username: str, limit: int, **headers):
    """Fail ``limit`` times; the last failure already answers the lockout page."""
    for attempt in range(1, limit + 1):
        response = sign_in(client, username, WRONG, **headers)
        if attempt < limit:
            assert response.status_code == HTTPStatus.OK
            assert "Please enter the correct username and password" in response.content.decode()
    return response


@pytest.mark.django_db
def test_failed_sign_ins_lock_the_account_from_that_address(client, staff, settings, caplog):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5 and settings.AXES_COOLOFF_TIME == 1  # the documented defaults

    with caplog.at_level(logging.DEBUG):
        locked = lock_out(client, "lockout-curator", limit)
        right_password = sign_in(client, "lockout-curator", PASSWORD)

    for response in (locked, right_password):
        assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert response["Retry-After"] == "3600"
        html = response.content.decode()
        assert "Sign-in locked: too many failed attempts." in html
        assert f"After {limit} failed sign-ins" in html
        assert "for 1 hour" in html
        assert "manage.py axes_reset" in html
        assert_site_wide_policy(
            {k: v for k, v in directives(response).items() if not k.endswith("-attr")}
        )
    assert not signed_in(client)
    # Neither password is ever written to the logs, whatever axes reports.
    logged = "\n".join(everything_logged(caplog.records))
    assert "AXES: Locking out" in logged
    assert WRONG not in logged
    assert PASSWORD not in logged


@pytest.mark.django_db
def test_another_user_and_another_address_are_not_locked(staff, settings):
    lock_out(Client(), "lockout-curator", settings.AXES_FAILURE_LIMIT)

    other_user = Client()
    assert sign_in(other_user, "lockout-editor", PASSWORD).status_code == HTTPStatus.FOUND
    assert signed_in(other_user)

    other_address = Client(REMOTE_ADDR="192.0.2.44")
    response = sign_in(other_address, "lockout-curator", PASSWORD)
    assert response.status_code == HTTPStatus.FOUND
    assert signed_in(other_address)

    # ...while the locked pair stays locked.
    assert sign_in(Client(), "lockout-curator", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_a_successful_sign_in_before_the_limit_resets_the_count(staff, settings):
    limit = settings.AXES_FAILURE_LIMIT
    browser = Client()
    for _ in range(limit - 1):
        assert sign_in(browser, "lockout-curator", WRONG).status_code == HTTPStatus.OK
    assert sign_in(browser, "lockout-curator", PASSWORD).status_code == HTTPStatus.FOUND
    browser.logout()

    # Without the reset, the next failure would be the limit-th and lock the account.
    for _ in range(limit - 1):
        assert sign_in(browser, "lockout-curator", WRONG).status_code == HTTPStatus.OK
    assert sign_in(browser, "lockout-curator", PASSWORD).status_code == HTTPStatus.FOUND


@pytest.mark.django_db
def test_axes_reset_lifts_the_lock(client, staff, settings):
    lock_out(client, "lockout-curator", settings.AXES_FAILURE_LIMIT)
    assert sign_in(client, "lockout-curator", PASSWORD).status_code == 429

    out = io.StringIO()
    call_command("axes_reset", stdout=out)

    assert "attempts removed" in out.getvalue()
    assert sign_in(client, "lockout-curator", PASSWORD).status_code == HTTPStatus.FOUND
    assert signed_in(client)


@pytest.mark.django_db
def test_the_test_clients_login_is_counted_like_the_form(client, staff, settings):
    # tests/conftest.py gives Client.login() a request, so axes sees test logins too.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert client.login(username="lockout-curator", password=WRONG) is False
    assert client.login(username="lockout-curator", password=PASSWORD) is False
    call_command("axes_reset", verbosity=0)
    assert client.login(username="lockout-curator", password=PASSWORD) is True


#: docker-compose.yml's network, as its TRUSTED_PROXIES names it; a proxy on the host reaches the
#: app from the network's gateway.
PROXY_NETWORK = "172.31.250.0/24"
PROXY = "172.31.250.1"


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=[PROXY_NETWORK])
def test_a_direct_client_rotating_x_forwarded_for_stays_locked_out(staff, settings):
    """Issue 14: 20 wrong passwords from a client that reached the app directly, each with a new
    X-Forwarded-For, then the right one: the lock holds (the header is ignored from it)."""
    direct = Client(REMOTE_ADDR="198.51.100.77")
    answers = [
        sign_in(direct, "lockout-curator", WRONG, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        for n in range(20)
    ]
    limit = settings.AXES_FAILURE_LIMIT
    assert [a.status_code for a in answers] == [200] * (limit - 1) + [429] * (21 - limit)

    right = sign_in(direct, "lockout-curator", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.250")
    assert right.status_code == 429
    assert not signed_in(direct)
    # Nor does claiming to be a proxy of the network help: the socket's peer is not one.
    posing = {"HTTP_X_FORWARDED_FOR": f"203.0.113.251, {PROXY}"}
    assert sign_in(direct, "lockout-curator", PASSWORD, **posing).status_code == 429


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=[PROXY_NETWORK])
def test_behind_a_proxy_the_forwarded_client_address_is_counted(staff, settings):
    proxy = {"REMOTE_ADDR": PROXY}  # every request arrives from the proxy
    attacker = {**proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    lock_out(Client(), "lockout-curator", settings.AXES_FAILURE_LIMIT, **attacker)

    # Entries the client wrote itself (left of the proxy's) change nothing.
    forged = {**proxy, "HTTP_X_FORWARDED_FOR": "198.51.100.1, 203.0.113.7"}
    assert sign_in(Client(), "lockout-curator", PASSWORD, **forged).status_code == 429
    # Through a second proxy of the network (appending its own peer), the same client.
    relayed = {**proxy, "HTTP_X_FORWARDED_FOR": "198.51.100.1, 203.0.113.7, 172.31.250.9"}
    assert sign_in(Client(), "lockout-curator", PASSWORD, **relayed).status_code == 429
    # A colleague behind the same proxy is not locked out.
    colleague = {**proxy, "HTTP_X_FORWARDED_FOR": "198.51.100.9"}
    assert sign_in(Client(), "lockout-curator", PASSWORD, **colleague).status_code == 302


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=[])
def test_without_a_proxy_a_forged_forwarded_for_header_does_not_escape_the_lock(staff, settings):
    lock_out(Client(), "lockout-curator", settings.AXES_FAILURE_LIMIT)

    forged = Client(HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert sign_in(forged, "lockout-curator", PASSWORD).status_code == 429


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        ([], "192.0.2.1", "", "192.0.2.1"),
        ([], "192.0.2.1", "203.0.113.7", "192.0.2.1"),
        # A direct client (its peer address is no proxy's): the header is ignored.
        ([PROXY_NETWORK], "192.0.2.1", "203.0.113.7", "192.0.2.1"),
        ([PROXY_NETWORK], "192.0.2.1", f"203.0.113.7, {PROXY}", "192.0.2.1"),
        # Behind the proxy: the entry it appended; anything left of it is the client's own.
        ([PROXY_NETWORK], PROXY, "203.0.113.7", "203.0.113.7"),
        ([PROXY_NETWORK], PROXY, "1.2.3.4, 203.0.113.7", "203.0.113.7"),
        ([PROXY_NETWORK], PROXY, " 2001:db8::1 ", "2001:db8::1"),
        ([PROXY_NETWORK], PROXY, "203.0.113.7:4711", "203.0.113.7"),
        ([PROXY_NETWORK], PROXY, "[2001:db8::1]:443", "2001:db8::1"),
        ([PROXY_NETWORK], f"::ffff:{PROXY}", "203.0.113.7", "203.0.113.7"),
        # Two proxies: past the trusted one's entry to the first untrusted address.
        ([PROXY_NETWORK, "10.0.0.0/8"], PROXY, "1.2.3.4, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        ([PROXY_NETWORK], PROXY, "1.2.3.4, 203.0.113.7, 10.0.0.2", "10.0.0.2"),
        ([PROXY_NETWORK], PROXY, "172.31.250.9, 172.31.250.8", "172.31.250.9"),
        (["2001:db8:ff::/48"], "2001:db8:ff::1", "203.0.113.7", "203.0.113.7"),
        (f"{PROXY_NETWORK},10.0.0.0/8", PROXY, "203.0.113.7, 10.0.0.2", "203.0.113.7"),
        # Nothing usable from the proxy: the proxy's own address, never a forged one.
        ([PROXY_NETWORK], PROXY, "", PROXY),
        ([PROXY_NETWORK], PROXY, "not-an-address", PROXY),
        ([PROXY_NETWORK], PROXY, "203.0.113.7, unknown", PROXY),
    ],
)
def test_client_ip(settings, proxies, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = proxies
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().post("/admin/login/", REMOTE_ADDR=remote, **headers)

    assert client_ip(request) == expected


@override_settings(TRUSTED_PROXIES=[PROXY_NETWORK])
def test_the_rate_limit_and_the_lockout_share_one_client_address_rule():
    from axes.helpers import get_client_ip_address

    from config.throttles import AnonymousRateThrottle

    forwarded = {"HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.7"}
    for remote, expected in [(PROXY, "203.0.113.7"), ("192.0.2.5", "192.0.2.5")]:
        request = RequestFactory().post("/admin/login/", REMOTE_ADDR=remote, **forwarded)
        assert get_client_ip_address(request) == expected  # django-axes' lockout
        assert AnonymousRateThrottle().get_ident(request) == expected  # the rate limit


@pytest.mark.django_db
def test_api_tokens_are_unaffected_by_a_locked_sign_in(staff, settings):
    FacilityFactory(slug="draft-light-source", is_published=False)
    lock_out(Client(), "lockout-curator", settings.AXES_FAILURE_LIMIT)
    token = api_token(staff[0])

    url = "/api/v1/facilities/draft-light-source/"
    api = APIClient(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {token}")

    assert api.get(url).status_code == HTTPStatus.OK  # drafts are shown to staff only
    assert APIClient(HTTP_HOST="localhost").get(url).status_code == HTTPStatus.NOT_FOUND


# --- Tokens never reach the logs --------------------------------------------------------------


def boom(request):
    """Test-only route: a view that fails, so the 500 path is logged with its traceback."""
    raise RuntimeError("the view failed")


urlpatterns = [path("boom/", boom), *project_urls.urlpatterns]
handler404 = project_urls.handler404
handler500 = project_urls.handler500


def everything_logged(records) -> list[str]:
    """Every way a record can be written: message, args, extras, exception, both formats."""
    text_format = logging.Formatter("%(levelname)s %(name)s: %(message)s")
    json_format = JSONFormatter()
    standard = set(vars(logging.makeLogRecord({})))
    texts = []
    for record in records:
        texts += [record.getMessage(), repr(record.args), record.exc_text or ""]
        if record.exc_info:
            texts.append(text_format.formatException(record.exc_info))
        texts += [text_format.format(record), json_format.format(record)]
        texts += [repr(value) for key, value in vars(record).items() if key not in standard]
    return texts


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["production", "DEBUG=true"])
def test_tokens_never_reach_the_logs(django_user_model, caplog, debug):
    user = django_user_model.objects.create_user("logged-curator", password=PASSWORD)
    user.is_staff = True
    user.save()
    valid = api_token(user)
    invalid = secrets.token_hex(20)
    query_secret = "qs-" + secrets.token_hex(16)
    FacilityFactory(slug="token-light-source")

    with (
        override_settings(SLOW_REQUEST_MS=0, DEBUG=debug, ROOT_URLCONF=__name__),
        caplog.at_level(logging.DEBUG),
        caplog.at_level(logging.DEBUG, logger="django"),
    ):
        with_token = APIClient(HTTP_HOST="localhost", raise_request_exception=False)
        with_token.credentials(HTTP_AUTHORIZATION=f"Token {valid}")
        wrong_token = APIClient(HTTP_HOST="localhost", raise_request_exception=False)
        wrong_token.credentials(HTTP_AUTHORIZATION=f"Token {invalid}")
        answers = [
            with_token.get("/api/v1/facilities/"),
            with_token.get("/api/v1/facilities/token-light-source/"),
            with_token.get(f"/api/v1/facilities/?token={query_secret}"),
            with_token.get("/api/v1/facilities/no-such-facility/"),
            with_token.post("/api/v1/facilities/", {"name": "x"}, format="json"),
            wrong_token.get("/api/v1/facilities/"),
            wrong_token.get(f"/api/v1/facilities/?access_token={query_secret}"),
            with_token.get(f"/embed/facilities/?token={query_secret}"),
            with_token.get("/boom/"),
        ]
    statuses = [answer.status_code for answer in answers]

    assert statuses == [200, 200, 400, 404, 403, 401, 401, 400, 500]
    logged = everything_logged(caplog.records)
    assert any("slow request" in text for text in logged), "slow-request warnings were forced"
    assert any("Internal Server Error: /boom/" in text for text in logged)
    assert any("Forbidden" in text for text in logged)
    assert any("Unauthorized" in text for text in logged)
    if debug:  # Django logged every query; the token lookups kept their statement only
        assert any('"api_apitoken"' in text and WITHHELD in text for text in logged)
    for secret in (valid, invalid):
        leaks = [text for text in logged if secret in text]
        assert not leaks, leaks[:3]
    # The query string is never logged (the request object's repr is written by no handler).
    leaks = [t for t in logged if query_secret in t and not t.startswith("<WSGIRequest")]
    assert not leaks, leaks[:3]


# --- In a real browser: no policy violation while the pages work ------------------------------

# Reports every violation (in every frame: Playwright runs this in each one) to the console.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def browser_data(reference_data, django_user_model):
    """A facility with two history entries, and an admin (in a database whose writes commit)."""
    facility = FacilityFactory(name="CSP Test Light Source", slug="csp-test-light-source")
    update(facility, name="CSP Test Light Source II")  # a second entry for the history page
    django_user_model.objects.create_superuser("csp-admin", "csp@example.org", PASSWORD)
    return facility.pk


@pytest.mark.django_db(transaction=True)
def test_pages_work_in_chromium_without_a_policy_violation(live_server, browser_data, chromium):
    base = live_server.url
    context = chromium.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(ui.TIMEOUT_MS)
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    console = ui.ConsoleLog()
    console.attach(page)
    workers = []
    page.on("worker", lambda worker: workers.append(worker.url))
    try:
        # --- the admin: sign-in, autocomplete (select2 + AJAX), history, import, export -----
        page.goto(f"{base}/admin/login/")
        assert page.locator("#id_username").is_visible()
        ui.log_in(page, base, "csp-admin", PASSWORD)

        page.goto(f"{base}/admin/directory/facility/add/")
        ui.pick_autocomplete(page, "id_country", "Japan", "Japan (JP)")

        page.goto(f"{base}/admin/directory/facility/{browser_data}/history/")
        assert page.locator("#change-history tbody tr").count() >= 2

        page.goto(f"{base}/admin/directory/facility/import/")
        assert page.locator("#id_import_file").count() == 1

        page.goto(f"{base}/admin/directory/facility/export/")
        fields = page.locator(".selectable-field-export-row input[type=checkbox]:checked")
        assert fields.count() > 0
        page.click("input.select-toggle")  # its inline onchange handler, allowed by hash
        page.wait_for_function(
            "() => !document.querySelector('.selectable-field-export-row input:checked')"
        )

        page.goto(f"{base}/admin/axes/accessattempt/")
        ui.screenshot(page, "csp-admin-axes", full_page=False)

        # --- the API docs -----------------------------------------------------------
        page.goto(f"{base}/api/docs/")
        page.wait_for_selector(".opblock")
        assert page.locator(".opblock").count() > 10
        ui.screenshot(page, "csp-swagger-ui", full_page=False)

        page.goto(f"{base}/api/redoc/")
        page.wait_for_selector("h1")
        assert "Facility Directory API" in page.locator("h1").first.inner_text()
        page.fill("input.search-input", "facilit")  # searched in ReDoc's blob: worker
        page.wait_for_selector("[data-role='search:results'] li")
        assert any(url.startswith("blob:") for url in workers)
        ui.screenshot(page, "csp-redoc", full_page=False)

        # --- the embed builder (with its framed preview) and a widget -------------
        page.goto(f"{base}/embed/")
        preview = page.frame_locator("#preview")
        preview.locator("text=CSP Test Light Source II").wait_for()

        page.goto(f"{base}/embed/facilities/")
        page.locator("text=CSP Test Light Source II").wait_for()
        ui.screenshot(page, "csp-embed-widget")
    finally:
        context.close()

    violations = [
        entry
        for entry in console.entries
        if "Content Security Policy" in entry or "CSP violation" in entry
    ]
    assert violations == []
    # Nothing else went wrong either (ReDoc no longer asks Redocly's CDN for its logo).
    assert console.errors() == []
