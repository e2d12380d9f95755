"""Iris, set up as in the lecture: shuffled with seed 116, 120 rows to train, 30 to test."""

from __future__ import annotations

from nnfw import Dataset, Param, hookimpl
from nnfw_plugins.datasets import prepare, table_rows, table_target

TARGET = "target"  # the name of the class column in files of new rows (as scikit-learn's frame)


@hookimpl
def register_datasets(register):
    """Register ``iris``."""
    register("iris", build, read_rows=table_rows.read_rows,
             description="Fisher's iris flowers (scikit-learn's copy): 4 features, 3 classes.",
             formula="np.random.seed(seed); np.random.shuffle(x) (and y alike); "
                     "the last test_rows rows test, the rest train",
             params=[prepare.seed_param(116),
                     Param("test_rows", 30, "rows at the end kept for testing", bounds="[0, 149]"),
                     prepare.standardize_param()])


def build(seed: int = 116, test_rows: int = 30, standardize: bool = False) -> Dataset:
    """The 150 iris rows shuffled by ``seed``; the last ``test_rows`` rows are the test part.

    New rows (``read_rows``) are a CSV file with the feature columns and optionally a
    ``target`` column of class ids 0, 1, 2.
    """
    from sklearn.datasets import load_iris

    iris = load_iris()
    order = prepare.permutation(len(iris.data), seed)
    x_train, y_train, x_test, y_test = prepare.split(iris.data[order], iris.target[order],
                                                     test_rows)
    mean = std = None
    if standardize:
        mean, std = prepare.fit_standardize(x_train)
        x_train = prepare.apply_standardize(x_train, mean, std)
        x_test = prepare.apply_standardize(x_test, mean, std)
    names = tuple(str(name) for name in iris.target_names)
    target = table_target.classes_spec(TARGET, names, range(len(names)))
    return Dataset(x_train, y_train, x_test, y_test, task="classification", num_classes=3,
                   feature_names=tuple(iris.feature_names), name="iris", class_names=names,
                   preprocessing=prepare.preprocessing(iris.feature_names, target, mean, std))
