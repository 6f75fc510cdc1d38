"""An item's life: the pipeline (pipeline.py) and every action on an item, the facts derived from
its workflow (casefacts.py), inbox rows, timers, batches, permissions."""
