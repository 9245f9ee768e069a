"""Helpers for the browser journeys (issue 10): act as a person would and count the clicks.

A click is one pointer activation: a link, a button, a checkbox or a choice in a drop-down.
Typing into a field is not counted (a person may reach it with Tab), and neither is opening a
page by its address (the journey's starting point). Each journey records its count in the
test report (`clicks`), and the terminal summary of `make test` lists them.
"""

from __future__ import annotations

import re

import pyotp

from tests.conftest import PASSWORD


class Journey:
    def __init__(self, page, base: str, request=None):
        self.page, self.base, self.clicks = page, base, 0
        self.request = request

    def open(self, path: str):
        return self.page.goto(self.base + path)

    def click(self, locator):
        self.clicks += 1
        locator.click()

    def check(self, locator):
        self.clicks += 1
        locator.check()

    def choose(self, locator, value=None, *, label=None):
        self.clicks += 1
        locator.select_option(value, label=label)

    def sign_in(self, email: str, totp: str | None = None):
        """Sign in from the header's link (a second factor for accounts that have one)."""
        page = self.page
        self.click(page.get_by_role("link", name="Sign in"))
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        self.click(page.get_by_role("button", name="Sign in"))
        if totp:
            page.wait_for_url(re.compile(r"/second-factor"))
            page.get_by_label(re.compile("code", re.I)).fill(pyotp.TOTP(totp).now())
            self.click(page.get_by_role("button", name="Continue"))
        page.wait_for_url(re.compile(r"/$"))

    def record(self, at_most: int) -> None:
        """Record the count in the report and hold the journey to the number of clicks it
        takes today: a change that adds steps fails here and has to say why."""
        if self.request is not None:
            self.request.node.user_properties.append(("clicks", self.clicks))
        assert self.clicks <= at_most, f"{self.clicks} clicks, expected at most {at_most}"
