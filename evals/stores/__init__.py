"""Test stores written by code: `second` is a store unlike the demo one (another name, currency,
return window, products and wording), for measuring on a store the agent was not built on."""
