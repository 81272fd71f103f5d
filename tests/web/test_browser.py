"""The pages in a real browser (Debian's Chromium through Playwright) against the real app and database.

The app runs under uvicorn on 127.0.0.1 in a thread, with the fake embedder and extractive answers. The
screenshots land in tests/artifacts/ (gitignored); their paths are printed. Without /usr/bin/chromium
these tests fail: CI installs it (.ci/run).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
from pydantic import SecretStr

from sourcier import store
from sourcier.api import create_app
from sourcier.config import Settings
from sourcier.store import users
from sourcier.sync import FolderIndexer
from tests.conftest import ROOT, FakeEmbedder, empty_tables

pytestmark = pytest.mark.slow  # about a minute: a server, a browser, four pages (CI runs slow tests)

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
PASSWORD = "correct horse battery"

DOCS = {
    "teletravail.md": "# Télétravail\n\nLes salariés peuvent télétravailler deux jours par semaine, "
    "après accord de leur responsable.\n\nLe télétravail est impossible pendant la période d'essai.\n",
    "conges.md": "# Congés payés\n\nChaque salarié acquiert 2,5 jours de congés payés par mois travaillé.\n\n"
    "Les congés se posent dans l'outil RH au moins deux semaines à l'avance.\n",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def site(pg: str, warehouse: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A running server over an indexed folder, with an admin and a plain user; emptied afterwards."""
    home = tmp_path_factory.mktemp("web-home")
    docs = tmp_path_factory.mktemp("web-docs")
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    (docs / ".sourcier-access.toml").write_text('read = ["everyone"]\n', encoding="utf-8")
    extra = tmp_path_factory.mktemp("web-extra")
    (extra / "note.md").write_text("# Note\n\nLa cantine ouvre à midi.\n", encoding="utf-8")
    settings = Settings(
        home=home, database_url=SecretStr(pg), warehouse_url=SecretStr(warehouse), parse_workers=1, source_roots=[extra]
    )
    embedder = FakeEmbedder()
    with store.connect(pg) as conn:
        users.create_user(conn, "admin", password=PASSWORD, is_admin=True)
        users.create_user(conn, "alice", password=PASSWORD)
        FolderIndexer(settings=settings, embedder=embedder).run(conn, docs)
    app = create_app(settings, conninfo=pg, embedder=embedder)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield {"url": f"http://127.0.0.1:{port}", "pg": pg, "extra": extra}
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        with store.connect(pg) as conn:
            empty_tables(conn)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 860}, locale="fr-FR")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def _sign_in(page: Page, url: str, path: str, name: str) -> None:
    page.goto(url + path)
    expect(page).to_have_url(f"{url}/login?next={path}")
    page.get_by_label("Identifiant").fill(name)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(url + path)


def _screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def test_sign_in_ask_stream_cite_and_thumbs_down(site: dict[str, Any], page: Page) -> None:
    url = site["url"]
    page.goto(url + "/login")
    page.get_by_label("Identifiant").fill("alice")
    page.get_by_label("Mot de passe").fill("wrong password")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_have_text("Identifiant ou mot de passe incorrect.")

    _sign_in(page, url, "/", "alice")
    expect(page.locator("#whoami")).to_have_text("alice")
    expect(page.locator("#admin-link")).to_be_hidden()

    # Count the text pieces the answer receives while it is still streaming (aria-busy).
    page.evaluate(
        """() => {
        window.streamedPieces = 0;
        new MutationObserver((records) => {
          for (const r of records) {
            const answer = r.target.closest && r.target.closest('.answer');
            if (answer && answer.getAttribute('aria-busy') === 'true' && r.target.classList.contains('answer-text'))
              window.streamedPieces += [...r.addedNodes].filter((n) => n.nodeType === 3).length;
          }
        }).observe(document.getElementById('messages'), {childList: true, subtree: true});
    }"""
    )
    page.get_by_label("Votre question").fill("Combien de jours de télétravail par semaine ?")
    page.get_by_label("Votre question").press("Enter")
    answer = page.locator(".answer").last
    expect(answer).to_have_attribute("aria-busy", "false", timeout=20_000)
    expect(answer.locator(".answer-text")).to_contain_text("deux jours par semaine")
    assert page.evaluate("window.streamedPieces") >= 2, "the answer did not arrive as a stream of tokens"
    expect(page.locator(".conversations li")).to_have_count(1)

    # A citation chip opens the passage with the cited sentence highlighted and a link to the file.
    answer.locator(".citations .chip").first.click()
    panel = page.locator("#passage-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("#passage-title")).to_contain_text("Télétravail")
    expect(panel.locator("mark").first).to_contain_text("deux jours par semaine")
    link = panel.locator("#passage-link")
    href = link.get_attribute("href")
    assert href is not None and href.startswith("/api/v1/documents/") and "/file" in href
    original = page.request.get(url + href.split("#")[0])
    assert original.status == 200 and "télétravailler deux jours" in original.text()
    _screenshot(page, "chat.png")
    page.get_by_role("button", name="Fermer").click()
    expect(panel).to_be_hidden()

    # Thumbs down with a comment, stored for that answer and that user.
    answer.get_by_role("button", name="Réponse inutile").click()
    answer.get_by_label("Commentaire (facultatif)").fill("Il manque la règle pour les cadres.")
    answer.get_by_role("button", name="Envoyer").click()
    expect(answer.locator(".action-status")).to_have_text("Merci pour votre avis.")
    answer_id = int(answer.locator("xpath=..").get_attribute("data-answer-id") or "0")
    with store.connect(site["pg"]) as conn:
        rows = conn.execute(
            "SELECT f.rating, f.comment, u.name FROM feedback f JOIN users u ON u.id = f.user_id"
            " WHERE f.answer_id = %s",
            (answer_id,),
        ).fetchall()
    assert rows == [("down", "Il manque la règle pour les cadres.", "alice")]

    # The history reloads the conversation.
    page.get_by_role("button", name="Nouvelle conversation").click()
    expect(page.locator(".exchange")).to_have_count(0)
    page.locator(".conversation-open").first.click()
    expect(page.locator(".exchange")).to_have_count(1)
    expect(page.locator(".answer-text").first).to_contain_text("deux jours par semaine")

    # Regenerate: a second answer to the same question, streamed in below; both stay in the conversation.
    page.get_by_role("button", name="Régénérer").first.click()
    expect(page.locator(".exchange")).to_have_count(2)
    expect(page.locator(".answer").last).to_have_attribute("aria-busy", "false", timeout=20_000)
    expect(page.locator(".answer-text").last).to_contain_text("deux jours par semaine")
    with store.connect(site["pg"]) as conn:
        row = conn.execute("SELECT count(*), count(regenerated_from) FROM answers").fetchone()
    assert row == (2, 1)


def test_plain_user_sees_no_admin_data(site: dict[str, Any], page: Page) -> None:
    _sign_in(page, site["url"], "/admin", "alice")
    expect(page.get_by_role("alert")).to_have_text("Cette page est réservée aux administrateurs.")
    expect(page.locator("#admin-content")).to_be_hidden()


def test_admin_overview_users_and_groups(site: dict[str, Any], page: Page) -> None:
    _sign_in(page, site["url"], "/admin", "admin")
    expect(page.locator("#stat-documents")).to_have_text("2")
    expect(page.locator("#stat-thumbs")).to_contain_text("0 %")  # alice's thumbs down (first test)
    users_form = page.locator("#user-form")
    users_form.get_by_label("Identifiant").fill("bob")
    users_form.get_by_label("Mot de passe").fill(PASSWORD)
    users_form.get_by_role("button", name="Ajouter").click()
    bob = page.locator('tr[data-user="bob"]')
    expect(bob).to_be_visible()
    bob.get_by_role("button", name="Désactiver").click()
    expect(bob.get_by_role("button", name="Réactiver")).to_be_visible()
    page.locator("#group-form").get_by_label("Groupe").fill("rh")
    page.locator("#group-form").get_by_role("button", name="Ajouter").click()
    expect(page.locator('tr[data-group="rh"]')).to_be_visible()
    member = page.locator("#member-form")
    member.get_by_label("Groupe").select_option("rh")
    member.get_by_label("Identifiant").select_option("alice")
    member.get_by_role("button", name="Ajouter").click()
    expect(page.locator('tr[data-group="rh"] .members')).to_contain_text("alice")
    expect(page.locator('tr[data-user="alice"]')).to_contain_text("rh")
    _screenshot(page, "admin.png")
    with store.connect(site["pg"]) as conn:
        row = conn.execute("SELECT disabled FROM users WHERE name = 'bob'").fetchone()
    assert row == (True,)


def test_admin_adds_a_folder_source_and_sees_its_sync_finish(site: dict[str, Any], page: Page) -> None:
    url = site["url"]
    _sign_in(page, url, "/admin", "admin")
    form = page.locator("#source-form")
    form.get_by_label("Nom").fill("cantine")
    form.get_by_label("Dossier").fill(str(site["extra"]))
    form.get_by_label("Lecteurs").fill("everyone")
    form.get_by_role("button", name="Ajouter").click()
    row = page.locator('tr[data-source="cantine"]')
    expect(row.locator(".badge")).to_have_text("terminée", timeout=15_000)
    expect(page.locator("#stat-documents")).to_have_text("3", timeout=10_000)
    _screenshot(page, "admin-sources.png")


def test_warehouse_answer_shows_its_sql_table_and_chart(site: dict[str, Any], page: Page) -> None:
    _sign_in(page, site["url"], "/", "alice")
    page.get_by_label("Entrepôt de données").check()
    page.get_by_label("Votre question").fill("Chiffre d'affaires 2024 par région")
    page.get_by_label("Votre question").press("Enter")
    answer = page.locator("#messages > *").last
    expect(answer.locator(".sql")).to_be_visible(timeout=15_000)
    expect(answer.locator(".sql-code")).to_contain_text("sales.regions")
    rows = answer.locator(".result-table tbody tr")
    expect(rows.first).to_be_visible()
    n = rows.count()
    assert n >= 2
    expect(answer.locator(".result-chart rect")).to_have_count(n)  # one bar per row of the table
    widths = [float(w) for w in answer.locator(".result-chart rect").evaluate_all(
        "rs => rs.map(r => r.getAttribute('width'))")]  # fmt: skip
    values = [float(t.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", "."))
              for t in answer.locator(".result-table tbody tr td:nth-child(2)").all_inner_texts()]  # fmt: skip
    assert widths.index(max(widths)) == values.index(max(values))  # the longest bar is the largest figure
    answer.locator(".result-chart").scroll_into_view_if_needed()
    _screenshot(page, "chat-warehouse.png")
