"""The approaches: prompting, fine-tuning (and embeddings + classifier), LoRA and the
API client. They stand on the ground floor only."""
