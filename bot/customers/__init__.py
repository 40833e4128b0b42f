"""Customers (tenants) and the subscriptions helpdesk staff pick from."""
