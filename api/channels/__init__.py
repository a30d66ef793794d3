"""Channel webhooks: parsing what each provider sends, and checking who sent it."""
