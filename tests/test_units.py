"""Unit tests of the notebook's own functions, loaded from its `definitions` cells."""

import math

import numpy as np
import pandas as pd
import pytest

from fake_data import write_cifar10
from prepare_data import prepare


@pytest.fixture(scope="module")
def cifar_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("cifar")
    arrays = write_cifar10(root, per_batch=40, test_count=30, seed=3)
    return root / "cifar-10-batches-py", arrays


def make_dataset(nb, arrays, size=None):
    x_train, y_train, x_test, y_test = arrays
    return nb["make_dataset"](
        "cifar10", (x_train, y_train), (x_test, y_test), nb["CLASS_NAMES_FR"], (size, None), 0, 0.1
    )


# --- loading --------------------------------------------------------------------------------------
# (the official files are read by scripts/prepare_data.py: tests/test_prepare_data.py)


def test_the_notebook_reads_the_prepared_npz(nb, cifar_dir, tmp_path):
    folder, (x_train, y_train, x_test, y_test) = cifar_dir
    prepare(folder, tmp_path)
    ((x_read, y_read), (xt_read, yt_read)), names, source = nb["load_data"]("cifar10", tmp_path)
    np.testing.assert_array_equal(x_read, x_train)
    np.testing.assert_array_equal(y_read, y_train)
    np.testing.assert_array_equal(xt_read, x_test)
    np.testing.assert_array_equal(yt_read, y_test)
    assert (
        y_read.dtype == np.int64
        and names[0] == "airplane"
        and source.startswith("échantillon de CIFAR-10")
    )
    # None: Keras downloads
    assert nb["data_folder"](None) is None and nb["data_folder"]("None") is None


def test_a_folder_without_npz_says_how_to_prepare_it(nb, cifar_dir, tmp_path):
    with pytest.raises(nb["DataError"], match="cifar10.npz.*prepare_data.py"):
        nb["data_folder"](cifar_dir[0])  # the official files, not yet prepared
    # CIFAR-10 only: Fashion-MNIST, which the notebook needs, is missing
    prepare(cifar_dir[0], tmp_path)
    with pytest.raises(nb["DataError"], match="ne contient pas fashion_mnist.npz.*fashion-mnist/"):
        nb["data_folder"](tmp_path)
    assert nb["data_folder"](tmp_path, required=["cifar10.npz"]) == tmp_path  # the benchmarks


def test_a_pickled_npz_is_refused_without_running_it(nb, tmp_path):
    np.savez(
        tmp_path / "cifar10.npz",
        x_train=np.array([object()]),
        y_train=[0],
        x_test=[0],
        y_test=[0],
        source="x",
    )
    with pytest.raises(nb["DataError"], match="cifar10.npz.*illisible"):
        nb["load_data"]("cifar10", tmp_path)


def test_the_validation_split_keeps_class_proportions(nb):
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 100)
    x = rng.integers(0, 255, size=(1000, 2, 2, 3), dtype=np.uint8)

    def split():
        return nb["make_dataset"]("demo", (x, y), (x, y), list("abcdefghij"), (None, None), 5, 0.1)

    data = split()
    assert len(data.y_val) == 100 and len(data.y_train) == 900
    assert np.all(np.bincount(data.y_val, minlength=10) == 10)
    assert np.all(np.bincount(data.y_train, minlength=10) == 90)
    np.testing.assert_array_equal(split().y_val, data.y_val)  # same seed, same split
    train_rows = {row.tobytes() for row in data.x_train.reshape(900, -1)}
    # no image in both parts
    assert not train_rows & {row.tobytes() for row in data.x_val.reshape(100, -1)}


def test_smoke_subset_keeps_every_class(nb, cifar_dir):
    _, arrays = cifar_dir
    data = make_dataset(nb, arrays, size=100)
    assert len(data.y_train) + len(data.y_val) == 100
    assert set(np.unique(data.y_train)) == set(range(10))


# --- layers and parameter formulas ----------------------------------------------------------------


@pytest.mark.parametrize("kernel", [1, 3, 5])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv_output_size_matches_keras(nb, kernel, stride, padding):
    layers = nb["layers"]
    for size in (28, 31, 32):
        expected = layers.Conv2D(2, kernel, strides=stride, padding=padding).compute_output_shape(
            (None, size, size, 3)
        )[1]
        assert nb["conv_output_size"](size, kernel, stride, padding) == expected


@pytest.fixture(scope="module")
def model_data(nb, cifar_dir):
    return make_dataset(nb, cifar_dir[1])


def test_first_cnn_weights_match_the_course(nb, model_data):
    """TP 2.3 and 3.6: the weights of the first CNN, per layer, on Fashion-MNIST and on CIFAR-10."""
    fashion = nb["parameter_table"](nb["first_cnn"]((28, 28, 1)), show=False)
    assert list(fashion["entraînables"]) == [416, 0, 4640, 0, 0, 205_056, 32_896, 1290]
    assert list(fashion["poids par neurone / filtre"])[:3] == ["26", "—", "145"]
    model = nb["first_cnn"]((32, 32, 3))
    table = nb["parameter_table"](model, show=False)
    counts = dict(zip(table["type"] + ":" + table["forme de sortie"], table["entraînables"]))
    assert counts["Conv2D:28 × 28 × 16"] == (5 * 5 * 3 + 1) * 16
    assert counts["Conv2D:12 × 12 × 32"] == (3 * 3 * 16 + 1) * 32
    assert counts["Dense:256"] == (6 * 6 * 32 + 1) * 256
    assert model.count_params() == 335_210 and table["non entraînables"].sum() == 0
    assert nb["model_flops"](model) == 2 * (
        5 * 5 * 3 * 16 * 28 * 28 + 3 * 3 * 16 * 32 * 12 * 12 + 1152 * 256 + 256 * 128 + 128 * 10
    )


def test_every_model_of_the_notebook_has_exact_formulas(nb, model_data):
    builders = {
        name: nb[name]
        for name in (
            "dense_network",
            "reference_cnn",
            "cnn_dropout05",
            "cnn_more_pooling",
            "cnn_conv_pairs",
            "cnn_same_padding",
            "cnn_dropout025",
            "cnn_third_block",
            "cnn_batchnorm",
            "cnn_leaky",
            "tf_tutorial_cnn",
            "fashion_cnn_dropout",
        )
    }
    builders["fashion_dense128"] = lambda: nb["fashion_cnn_dropout"](extra_dense=True)
    builders["augmented"] = lambda: nb["cnn_leaky"](nb["augmentation_layers"]())
    builders["fast"] = lambda: nb["build_fast_cnn"](model_data, nb["MODES"]["full"]["fast_widths"])
    for name, build in builders.items():
        model = build()
        table = nb["parameter_table"](model, show=False)  # raises if a formula disagrees with Keras
        assert (
            table["entraînables"].sum() + table["non entraînables"].sum() == model.count_params()
        ), name
        assert table["entraînables"].sum() == sum(
            int(np.prod(w.shape)) for w in model.trainable_weights
        ), name
    assert nb["cnn_conv_pairs"]().count_params() == 255_898  # TP 4.3, as written in the notebook


def test_batchnorm_separates_trainable_and_moving_statistics(nb, model_data):
    """Five batch-norm layers (TP 5.2): per channel, gamma and beta are trained, the moving mean and
    variance are not."""
    table = nb["parameter_table"](nb["cnn_leaky"](), show=False)
    batch_norms = table[table["type"] == "BatchNormalization"]
    channels = [16, 32, 64, 256, 128]
    assert list(batch_norms["entraînables"]) == [2 * c for c in channels]
    assert list(batch_norms["non entraînables"]) == [2 * c for c in channels]
    assert table["non entraînables"].sum() == 2 * sum(channels)
    fast = nb["parameter_table"](nb["build_fast_cnn"](model_data, (8, 16, 16)), show=False)
    # frozen whitening stem
    assert fast.loc[fast["couche"] == "whitening", "non entraînables"].item() == 2 * 2 * 3 * 24


def test_interval_and_noise_verdict(nb):
    assert nb["interval95"](0.5, 10_000) == pytest.approx(1.96 * 0.005)
    assert nb["interval95"](0.7, 1000) == pytest.approx(0.0284, abs=1e-4)
    assert nb["pct_ci"](0.623, 1017) == "62,3 % ± 3,0 (IC)"
    # 2 points on 1,000 images: sampling noise ±4.2
    assert "dans le bruit" in nb["compare"](0.62, 0.60, 1000, 0.0)
    assert "au-delà du bruit" in nb["compare"](0.70, 0.60, 1000, 0.0)
    assert nb["compare"](0.62, 0.60, 1000, 0.0).startswith("+2,0 points")


def test_the_comparison_rule_counts_the_training_noise(nb):
    """Section 4.1: margin = 1.96 sqrt(sigma^2 (1/n_a + 1/n_b) + sampling noise of both means)."""
    margin = nb["difference_margin"]([0.70, 0.71, 0.72], [0.69, 0.70, 0.71], 5000, 0.01)
    sampling = (0.71 * 0.29 + 0.70 * 0.30) / 5000
    assert margin == pytest.approx(1.96 * math.sqrt(0.01**2 * (2 / 3) + sampling))
    # +2 points beyond the sampling noise alone (±1.8), inside it once one seed each brings
    # sigma = 1 point
    assert "au-delà du bruit" in nb["compare"](0.72, 0.70, 5000, 0.0)
    assert "dans le bruit" in nb["compare"](0.72, 0.70, 5000, 0.01)
    # three seeds each shrink the training part of the margin: the same 2 points are beyond it again
    assert "au-delà du bruit" in nb["compare"]([0.71, 0.72, 0.73], [0.69, 0.70, 0.71], 5000, 0.004)
    # a train − validation gap carries the sampling noise of its validation, not its own
    gaps = ([0.03] * 3, [0.05] * 3)
    validations = ([0.80] * 3, [0.79] * 3)
    _, own, _ = nb["beyond_noise"](*gaps, 5000, 0.01)
    _, carried, _ = nb["beyond_noise"](*gaps, 5000, 0.01, validations)
    assert carried == round(100 * nb["difference_margin"](*validations, 5000, 0.01), 1) > own
    frame = pd.DataFrame(
        {"experiment": list("aaabbb"), "val_acc": [0.70, 0.71, 0.72, 0.60, 0.60, 0.63]}
    )
    # variances 1e-4 and 3e-4
    assert nb["training_noise"](frame) == pytest.approx(math.sqrt((0.01**2 + 0.0003) / 2))
    # one seed each: no spread to measure
    assert math.isnan(nb["training_noise"](frame.iloc[[0, 3]]))


# --- augmentation ---------------------------------------------------------------------------------


def test_augmentation_is_per_image_and_keeps_shape_and_range(nb):
    images = np.random.default_rng(0).uniform(-2, 3, size=(1, 32, 32, 3)).astype("float32")
    twins = np.repeat(images, 16, axis=0)
    layer = nb["RandomCropFlip"](4, seed=1)
    augmented = nb["ops"].convert_to_numpy(layer(twins, training=True))
    assert augmented.shape == twins.shape and augmented.dtype == np.float32
    # reflect padding: no new values
    assert augmented.min() >= images.min() - 1e-6 and augmented.max() <= images.max() + 1e-6
    distinct = {image.tobytes() for image in augmented}
    assert len(distinct) >= 12  # 81 shifts x 2 flips: identical images come out different
    flipped_only = nb["ops"].convert_to_numpy(nb["RandomCropFlip"](0, seed=2)(twins, training=True))
    assert {image.tobytes() for image in flipped_only} == {
        images[0].tobytes(),
        images[0][:, ::-1].tobytes(),
    }
    np.testing.assert_array_equal(nb["ops"].convert_to_numpy(layer(twins, training=False)), twins)


def test_alternating_flip_mirrors_the_batch_on_odd_epochs_only(nb):
    keras = nb["keras"]
    ops = nb["ops"]
    images = np.random.default_rng(0).uniform(size=(4, 6, 6, 3)).astype("float32")
    inputs = keras.Input(shape=(6, 6, 3))
    model = keras.Model(inputs, nb["AlternatingFlip"](name="alternating_flip")(inputs))
    callback = nb["FlipEveryOtherEpoch"]()
    callback.set_model(model)
    for epoch, expected in [
        (0, images),
        (1, images[:, :, ::-1]),
        (2, images),
        (3, images[:, :, ::-1]),
    ]:
        callback.on_epoch_begin(epoch)
        np.testing.assert_array_equal(ops.convert_to_numpy(model(images, training=True)), expected)
        # never at inference
        np.testing.assert_array_equal(ops.convert_to_numpy(model(images, training=False)), images)


def test_fast_training_stores_half_the_images_mirrored_once(nb, model_data):
    pieces = nb["FAST_PIECES"]
    flipped, training = nb["fast_training"](model_data, 3, 2, 16, pieces)
    mirrored = np.all(flipped.x_train == model_data.x_train[:, :, ::-1], axis=(1, 2, 3))
    kept = np.all(flipped.x_train == model_data.x_train, axis=(1, 2, 3))
    assert np.all(mirrored | kept) and 0.3 < mirrored.mean() < 0.7
    np.testing.assert_array_equal(flipped.x_val, model_data.x_val)
    # seeded
    np.testing.assert_array_equal(
        nb["fast_training"](model_data, 3, 2, 16, pieces)[0].x_train, flipped.x_train
    )
    assert [type(callback).__name__ for callback in training["callbacks"]] == [
        "FlipEveryOtherEpoch",
        "Lookahead",
    ]
    unchanged, plain = nb["fast_training"](
        model_data, 3, 2, 16, pieces | {"alternating_flip": False, "lookahead": False}
    )
    assert unchanged is model_data and plain["callbacks"] == []


def test_lookahead_moves_the_weights_to_their_average_and_ends_on_it(nb):
    keras = nb["keras"]
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, use_bias=False)])
    kernel = model.layers[0].kernel
    start = np.array([[1.0], [2.0]], dtype="float32")
    kernel.assign(start)
    lookahead = nb["Lookahead"](total_steps=10, every=5, decay=0.5)
    lookahead.set_model(model)
    lookahead.on_train_begin()
    for step in range(1, 11):
        # what an optimizer step would have written
        kernel.assign(np.full((2, 1), 10.0 * step, dtype="float32"))
        lookahead.on_train_batch_end(step)
        if step == 5:
            decay = 0.5 * (5 / 10) ** 3  # little averaging early in training
            average = decay * start + (1 - decay) * 50.0
            np.testing.assert_allclose(kernel.numpy(), average, rtol=1e-6)
    # the last step keeps the average (decay 1)
    np.testing.assert_allclose(kernel.numpy(), average, rtol=1e-6)


def test_test_time_augmentation_levels(nb):
    class Probe:  # "probabilities" that read two pixels, so every view gives a different answer
        def predict(self, images, batch_size, verbose):
            return np.stack([images[:, 0, 0, 0], images[:, 0, -1, 0]], axis=1).astype("float64")

    images = np.arange(2 * 4 * 4, dtype="float32").reshape(2, 4, 4, 1)
    probe = Probe()
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")

    def predict(view):
        return probe.predict(view, 0, 0)

    mirror = (predict(images) + predict(images[:, :, ::-1])) / 2
    shifts = [padded[:, :4, :4], padded[:, 2:, 2:]]
    shifted = sum(predict(view) + predict(view[:, :, ::-1]) for view in shifts) / 4
    np.testing.assert_allclose(nb["predict_probabilities"](probe, images), predict(images))
    np.testing.assert_allclose(nb["predict_probabilities"](probe, images, "mirror"), mirror)
    np.testing.assert_allclose(
        nb["predict_probabilities"](probe, images, "mirror+shift"),
        mirror / 2 + shifted / 2,
        rtol=1e-6,
    )


# --- error analysis -------------------------------------------------------------------------------


def test_most_confused_pairs_come_out_in_order(nb):
    confusion = np.diag([50, 40, 30, 20])
    confusion[3, 1] = 9  # most frequent error: 3 -> 1
    confusion[0, 2] = 7
    confusion[2, 0] = 7  # tie with 0 -> 2, broken by the true class
    confusion[1, 3] = 2
    labels, predictions = zip(
        *[(i, j) for i in range(4) for j in range(4) for _ in range(confusion[i, j])]
    )
    assert nb["most_confused_pairs"](np.array(labels), np.array(predictions), 4, top=3) == [
        (3, 1, 9),
        (0, 2, 7),
        (2, 0, 7),
    ]
    # a tie stays
    assert nb["most_confused_pairs"](np.array(labels), np.array(predictions), 4, top=2) == [
        (3, 1, 9),
        (0, 2, 7),
        (2, 0, 7),
    ]


def test_misclassified_examples_follow_the_pairs_most_confident_first(nb):
    labels = np.array([0, 0, 1, 1, 2, 2])
    probabilities = np.array(
        [
            [0.1, 0.9, 0.0],
            [0.4, 0.6, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.3, 0.7],
            [0.0, 0.0, 1.0],
            [0.8, 0.2, 0.0],
        ]
    )
    pairs = [(0, 1, 2), (1, 2, 1)]
    assert nb["misclassified_examples"](labels, probabilities, pairs, limit=25) == [0, 3, 1]
    assert nb["misclassified_examples"](labels, probabilities, pairs, limit=1) == [0]


def test_pareto_front_and_efficiency_rule(nb):
    frame = pd.DataFrame(
        {
            "experiment": list("abcd"),
            "val_acc": [0.60, 0.70, 0.69, 0.50],
            "val_images": [5000] * 4,
            "train_seconds": [10.0, 100.0, 20.0, 30.0],
            "params": [100, 200, 300, 50],
            "gap": [0.05, 0.30, 0.05, 0.0],
        }
    )
    assert list(nb["pareto_front"](frame)["experiment"]) == ["a", "c", "b"]
    table = frame.set_index("experiment").assign(
        tied=[False, True, True, False], tflop=[1.0, 10.0, 2.0, 3.0]
    )
    # b and c tied on validation: c is five times cheaper
    chosen, cost_tied = nb["most_efficient"](table)
    assert chosen.name == "c" and list(cost_tied.index) == ["c"]
    # b and c within 10 % in cost too: the smaller over-fitting wins
    table["tflop"] = [1.0, 2.1, 2.0, 3.0]
    chosen, cost_tied = nb["most_efficient"](table)
    assert chosen.name == "c" and set(cost_tied.index) == {"b", "c"}
    table["gap"] = [0.05, 0.05, 0.05, 0.0]  # equal gaps: the fewer weights
    assert nb["most_efficient"](table)[0].name == "b"


# --- kNN and the NumPy network --------------------------------------------------------------------


def test_knn_votes_match_scikit_learn(nb):
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(0)
    x_fit = rng.normal(size=(200, 12))
    y_fit = rng.integers(0, 4, 200)
    x_eval = rng.normal(size=(60, 12))
    y_eval = rng.integers(0, 4, 60)
    accuracies = nb["knn_accuracy_by_k"](x_fit, y_fit, x_eval, y_eval, 9, 4)
    for k in (1, 2, 4, 9):
        reference = (
            KNeighborsClassifier(n_neighbors=k, algorithm="brute")
            .fit(x_fit, y_fit)
            .score(x_eval, y_eval)
        )
        assert accuracies[k - 1] == pytest.approx(reference)


@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_numpy_gradients_match_finite_differences(nb, loss):
    rng = np.random.default_rng(1)
    network = nb["NumpyMLP"](7, 5, 3, seed=2, dtype=np.float64)
    x = rng.normal(size=(6, 7))
    targets = np.eye(3)[rng.integers(0, 3, 6)]
    analytic = network.gradients(x, targets, loss)
    for name, values in network.params.items():
        numeric = np.zeros_like(values)
        for index in np.ndindex(values.shape):
            saved = values[index]
            values[index] = saved + 1e-6
            plus = network.loss(x, targets, loss)
            values[index] = saved - 1e-6
            minus = network.loss(x, targets, loss)
            values[index] = saved
            numeric[index] = (plus - minus) / 2e-6
        error = np.linalg.norm(analytic[name] - numeric) / max(np.linalg.norm(numeric), 1e-12)
        assert error < 1e-6, (name, error)


def test_numpy_network_learns_a_separable_problem(nb):
    rng = np.random.default_rng(0)
    centers = rng.normal(0, 3, size=(3, 10))
    y = rng.integers(0, 3, 600)
    x = centers[y] + rng.normal(size=(600, 10))
    network = nb["NumpyMLP"](10, 8, 3, seed=0)
    history = nb["train_numpy_mlp"](
        network, (x[:500], y[:500]), (x[500:], y[500:]), "cross_entropy", 5, 0.5, 32, 0
    )
    assert history["val_accuracy"][-1] > 0.9
    assert history["loss"][-1] < history["loss"][0]


# --- registry -------------------------------------------------------------------------------------


FACTS = {
    "run_mode": "smoke",
    "seed": 7,
    "backend": "tensorflow",
    "device": "CPU",
    "versions": "keras 3",
}


def test_registry_trains_once_then_reloads_and_retrains_on_a_new_configuration(
    nb, tmp_path, capsys
):
    calls = []

    def train():
        calls.append(1)
        fields = {
            "params": 10,
            "epochs": 2,
            "train_acc": 0.5,
            "val_acc": 0.4,
            "test_acc": 0.45,
            "train_seconds": 1.5,
        }
        history = {"loss": [1.0, 0.5], "accuracy": [0.3, 0.5], "epoch_seconds": [0.8, 0.7]}
        return fields, history, np.full((3, 10), 0.1)

    registry = nb["ResultsRegistry"](tmp_path / "results", FACTS)
    record = nb["cached_experiment"](registry, "demo", "baseline", "a demo", {"epochs": 2}, train)
    assert record["test_acc"] == 0.45 and record["gap"] == pytest.approx(0.1) and len(calls) == 1
    # a new session: the same configuration is reloaded
    reopened = nb["ResultsRegistry"](tmp_path / "results", FACTS)
    assert (
        nb["cached_experiment"](reopened, "demo", "baseline", "a demo", {"epochs": 2}, train)[
            "test_acc"
        ]
        == 0.45
    )
    assert len(calls) == 1 and reopened.reloaded == [("demo", 7)]
    printed = capsys.readouterr().out
    # its log, shown again
    assert "↺ demo" in printed and "époque   2/2 · perte 0.500 · exactitude 0.500" in printed
    assert reopened.history("demo")["loss"] == [1.0, 0.5] and reopened.predictions(
        "demo"
    ).shape == (3, 10)
    # another configuration: retrained
    nb["cached_experiment"](reopened, "demo", "baseline", "a demo", {"epochs": 3}, train)
    assert len(calls) == 2
    forced = nb["ResultsRegistry"](tmp_path / "results", FACTS, force_retrain=["demo"])
    nb["cached_experiment"](forced, "demo", "baseline", "a demo", {"epochs": 3}, train)
    assert len(calls) == 3
    assert not list((tmp_path / "results").rglob(".tmp-*"))  # atomic writes leave no temporary file
    other_seed = nb["cached_experiment"](
        forced, "demo", "baseline", "a demo", {"epochs": 3, "seed": 8}, train
    )
    # one row per seed
    assert len(calls) == 4 and other_seed["seed"] == 8 and len(forced.records) == 2
    assert (tmp_path / "results" / "histories" / "demo_seed8.json").exists()


def test_the_configuration_hash_leaves_out_the_name_and_the_description(nb, tmp_path):
    """Renaming an experiment's row retrains nothing; a reworded description is rewritten on
    reload."""
    calls = []

    def train():
        calls.append(1)
        fields = {
            "params": 10,
            "epochs": 1,
            "train_acc": 0.5,
            "val_acc": 0.4,
            "test_acc": 0.45,
            "train_seconds": 1.0,
        }
        return (
            fields,
            {"loss": [1.0], "accuracy": [0.5], "epoch_seconds": [1.0]},
            np.full((3, 10), 0.1),
        )

    registry = nb["ResultsRegistry"](tmp_path / "results", FACTS)
    nb["cached_experiment"](registry, "old_name", "baseline", "old", {"epochs": 1}, train)
    assert nb["config_hash"]({"epochs": 1}) == registry.get("old_name")["config_hash"]
    nb["cached_experiment"](registry, "old_name", "ladder", "reworded", {"epochs": 1}, train)
    reopened = nb["ResultsRegistry"](tmp_path / "results", FACTS)
    row = reopened.get("old_name")
    assert len(calls) == 1 and (row["group"], row["description"]) == ("ladder", "reworded")


def test_two_experiments_compared_and_tabulated_from_the_registry(nb, tmp_path):
    """compare_runs reads every seed of each experiment; results_frame gives one row each."""
    registry = nb["ResultsRegistry"](tmp_path / "results", FACTS)
    for name, seed, val_acc in [("a", 1, 0.60), ("a", 2, 0.62), ("b", 1, 0.50)]:
        fields = {
            "params": 10,
            "epochs": 1,
            "train_acc": 0.7,
            "val_acc": val_acc,
            "test_acc": 0.5,
            "val_images": 1000,
            "test_images": 1000,
        }

        def train(fields=fields):
            return (
                fields,
                {"loss": [1.0], "accuracy": [0.5], "epoch_seconds": [1.0]},
                np.ones((3, 10)),
            )

        nb["cached_experiment"](registry, name, "ladder", name, {"seed": seed}, train)
    verdict = nb["compare_runs"](registry, "a", "b", 0.01)
    # mean 61 % vs 50 %: +11 points; margin 1.96 √(0.01² (1/2 + 1/1) + sampling of 1,000 images)
    margin = nb["difference_margin"]([0.60, 0.62], [0.50], 1000, 0.01)
    assert verdict == f"+11,0 points (au-delà du bruit, ±{100 * margin:.1f})".replace(".", ",")
    table = nb["results_frame"](registry, names=["a", "b"])
    assert list(table["graines"]) == [2, 1]
    assert list(table["validation par graine (%)"]) == ["60,0 · 62,0", "50,0"]


def test_unreadable_registry_is_kept_aside(nb, tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    (results / "experiments.csv").write_bytes(b"\xff\xfe not a csv \x00")
    registry = nb["ResultsRegistry"](results, FACTS)
    assert registry.records == {}
    assert list(results.glob("experiments.unreadable-*.csv"))  # nothing is lost


def test_config_hash_is_stable_and_sensitive(nb):
    assert nb["config_hash"]({"a": 1, "b": [1, 2]}) == nb["config_hash"]({"b": [1, 2], "a": 1})
    assert nb["config_hash"]({"a": 1}) != nb["config_hash"]({"a": 2})


def test_parameters_are_checked(nb):
    check = nb["check_parameters"]
    with pytest.raises(nb["ConfigurationError"], match="'fast'.*'full', 'quick', 'smoke'"):
        check("fast", 1, False)
    with pytest.raises(nb["ConfigurationError"], match="SEED"):
        check("smoke", "42", False)
    with pytest.raises(nb["ConfigurationError"], match="FORCE_RETRAIN"):
        check("smoke", 1, "yes")
    assert check("smoke", 1, ["first_cnn_scaled"]) is None


def test_endless_batches_show_every_image_once_per_epoch(nb):
    """One generator for the whole training (section 8.2): each epoch is a new permutation, cut
    into batches whose last one is partial, like Keras' own batching of arrays."""
    images = np.arange(10)[:, None] * np.ones((10, 3))
    batches = nb["endless_batches"](images, np.arange(10), batch_size=4)
    nb["np"].random.seed(0)
    epochs = [[next(batches) for _ in range(3)] for _ in range(2)]
    for epoch in epochs:
        assert [len(targets) for _, targets in epoch] == [4, 4, 2]
        seen = np.concatenate([targets for _, targets in epoch])
        assert sorted(seen) == list(range(10))
        for x, targets in epoch:  # images and targets stay paired
            np.testing.assert_array_equal(x[:, 0], targets)
    assert not np.array_equal(*[np.concatenate([t for _, t in epoch]) for epoch in epochs])


def test_bfloat16_on_a_cpu_only_where_asked_and_amx_is_there(nb):
    if nb["DEVICE_KIND"] == "GPU":
        pytest.skip("on a GPU the policy is always mixed")
    cpuinfo = nb["Path"]("/proc/cpuinfo")
    amx = cpuinfo.exists() and "amx_bf16" in cpuinfo.read_text()
    assert nb["mixed_precision_policy"]() == "float32"
    assert nb["mixed_precision_policy"](cpu_bfloat16=True) == (
        "mixed_bfloat16" if amx else "float32"
    )


def test_fast_model_compiles_with_xla(nb, model_data):
    """The fast model (augmentation included) supports XLA, so Keras can enable it on a GPU
    (jit_compile='auto')."""
    keras = nb["keras"]
    model = nb["build_fast_cnn"](model_data, (8, 16, 16))
    model.compile(
        optimizer=nb["fast_optimizer"](2, 1),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.2),
        jit_compile=True,
    )
    history = model.fit(
        model_data.x_train[:64],
        keras.utils.to_categorical(model_data.y_train[:64], 10),
        epochs=1,
        batch_size=32,
        verbose=0,
    )
    assert np.isfinite(history.history["loss"][-1])


# --- section 2: the demonstrations of the exam part -----------------------------------------------


def test_receptive_field_and_the_weights_of_stacked_3x3(nb):
    """Two 3 × 3 convolutions see 5 × 5 pixels, like one 5 × 5, with 18 C² weights instead of
    25 C²."""
    assert nb["receptive_field"]([(3, 1), (3, 1)]) == [3, 5]
    # the first CNN
    assert nb["receptive_field"]([(5, 1), (2, 2), (3, 1), (2, 2)]) == [5, 6, 10, 12]
    # the CNN of TP 4.2
    assert nb["receptive_field"]([(3, 1), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2)])[-1] == 16
    keras = nb["keras"]
    layers = nb["layers"]
    for kernels, per_channel_pair in (([5], 25), ([3, 3], 18)):
        stack = keras.Sequential(
            [keras.Input((16, 16, 8)), *[layers.Conv2D(8, k, use_bias=False) for k in kernels]]
        )
        assert stack.count_params() == per_channel_pair * 8 * 8
    impulse = np.zeros((1, 11, 11, 1), dtype="float32")
    impulse[0, 5, 5, 0] = 1.0
    stack = keras.Sequential(
        [
            layers.Conv2D(1, 3, padding="same", use_bias=False, kernel_initializer="ones")
            for _ in range(2)
        ]
    )
    assert np.count_nonzero(nb["ops"].convert_to_numpy(stack(impulse))) == 5 * 5


def test_gradients_through_pooling_and_dropout(nb):
    """Max-pooling sends the gradient to the maximum of each square only; dropout sends back its own
    scaled mask."""
    layers = nb["layers"]
    grid = np.array([[1, 3, 2, 0], [4, 6, 1, 1], [0, 2, 9, 5], [1, 1, 3, 7]], dtype="float32")[
        None, :, :, None
    ]
    _, gradient = nb["output_and_gradient"](layers.MaxPooling2D(2), grid)
    expected = np.zeros((4, 4))
    # the positions of 6, 2, 2 and 9
    expected[1, 1] = expected[0, 2] = expected[2, 1] = expected[2, 2] = 1
    np.testing.assert_array_equal(gradient[0, :, :, 0], expected)
    dropout = layers.Dropout(0.5, seed=3)
    output, gradient = nb["output_and_gradient"](
        lambda h: dropout(h, training=True), np.ones((1, 64), "float32")
    )
    np.testing.assert_array_equal(output, gradient)
    assert set(np.unique(gradient)) == {0.0, 2.0}  # switched off, or scaled by 1 / (1 - p)


def test_receptive_field_of_the_tp_final_models(nb):
    """Section 2.13: three blocks of two 3 × 3 convolutions and a 2 × 2 pooling see 36 pixels at the
    Flatten."""
    assert nb["receptive_field"]([(3, 1), (3, 1), (2, 2)] * 3) == [3, 5, 6, 10, 14, 16, 24, 32, 36]
