"""The local pipeline: the state machine's steps on one machine (`liberta run`, `liberta demo`)."""
