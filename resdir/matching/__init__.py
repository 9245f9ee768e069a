"""Clients, needs screening and explainable eligibility matching."""
