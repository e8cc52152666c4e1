"""The measurements: costs, the head-to-head comparison, the 2026 demos, plots and
the facts quoted from the reference runs. They stand on the approaches and the ground."""
