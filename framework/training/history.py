"""A run's per-epoch metrics, one column per metric."""

from __future__ import annotations

from dataclasses import dataclass, field

STANDARD_COLUMNS = ("loss", "lr", "test_loss", "test_accuracy")


@dataclass
class History:
    """Per-epoch metrics, one list entry per epoch run (epochs count from 0, as the lecture prints).

    ``loss`` (the training objective's mean over the epoch's steps), ``lr``, the test
    part's ``test_loss`` and ``test_accuracy``, and in ``extra`` every other column the
    run records (``test_f1``, ``val_loss``, ...), in the order the run records them.
    """

    loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    extra: dict[str, list[float]] = field(default_factory=dict)

    @property
    def epochs_run(self) -> int:
        """How many epochs have been recorded."""
        return len(self.loss)

    def column(self, name: str) -> list[float]:
        """The values of column ``name`` (empty when the run does not record it)."""
        if name in STANDARD_COLUMNS:
            return getattr(self, name)
        return self.extra.get(name, [])

    def add(self, name: str, values: list[float]) -> None:
        """Append ``values`` to column ``name`` (a new extra column if it is none yet)."""
        if name in STANDARD_COLUMNS:
            getattr(self, name).extend(values)
        else:
            self.extra.setdefault(name, []).extend(values)

    def columns(self) -> dict[str, list[float]]:
        """The per-epoch metrics this run has (loss, lr, test_loss, test_accuracy, then the
        extra columns), by name."""
        named = {name: getattr(self, name) for name in STANDARD_COLUMNS}
        return {name: values for name, values in {**named, **self.extra}.items() if values}

    def rows(self) -> list[dict[str, float]]:
        """One dict per epoch, with only the metrics this run has."""
        columns = self.columns()
        return [{"epoch": i, **{k: v[i] for k, v in columns.items()}} for i in range(self.epochs_run)]

    def final(self) -> dict[str, float]:
        """The last epoch's metrics (empty before the first epoch); as cheap at epoch 10**6 as
        at epoch 1, since the progress display asks for it after every chunk."""
        return {name: values[-1] for name, values in self.columns().items()}

