"""Training and evaluation of fusion packs: AVE-format datasets, cached features, the training loop,
few-shot training from editors' markers, and the field's metrics (``avevents train`` / ``avevents eval``)."""
