"""Provider adapters behind one interface (``base.ChatProvider``)."""
