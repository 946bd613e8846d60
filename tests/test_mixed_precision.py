"""The float16 path (Colab's T4 trains the fast model in mixed_float16) builds and learns, here on
the CPU.

mixed_float16 also runs on the CPU with the TensorFlow backend (checked with Keras 3.13 + TF 2.20,
Colab's, and Keras 3.15 + TF 2.21): these tests train the notebook's fast model and the course's
first CNN for a few epochs under that policy, on generated data, so that a float16 failure shows up
here rather than on a student's T4.
"""

import keras
import numpy as np
import pytest
from keras import layers

from fake_data import write_cifar10

CHANCE = 0.1  # 10 balanced classes


@pytest.fixture(scope="module")
def data(nb, tmp_path_factory):
    root = tmp_path_factory.mktemp("mixed_precision")
    x_train, y_train, x_test, y_test = write_cifar10(root, per_batch=60, test_count=50, seed=3)
    return nb["make_dataset"](
        "cifar10", (x_train, y_train), (x_test, y_test), nb["CLASS_NAMES_FR"], (None, None), 0, 0.1
    )


@pytest.fixture(autouse=True)
def float32_afterwards():
    """Every test starts and ends with Keras' default policy, whatever happens in between."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    assert keras.config.dtype_policy().name == "float32"
    yield
    keras.config.set_dtype_policy("float32")


def assert_trains_in_float16(nb, model, data):
    """Mixed model: float16 computations, float32 variables, loss scaling, a finite loss that goes
    down."""
    assert model.dtype_policy.name == "mixed_float16"
    assert any(
        layer.compute_dtype == "float16"
        for layer in model.layers
        if isinstance(layer, layers.Conv2D)
    )
    # master weights
    assert {weight.dtype for weight in model.weights if "float" in weight.dtype} == {"float32"}
    history, _ = nb["compile_and_fit"](model, data, epochs=3, batch_size=32)
    # Keras 3 wraps the optimizer in a LossScaleOptimizer by itself when the model's policy is
    # mixed_float16 (compile's auto_scale_loss=True): small float16 gradients are scaled up instead
    # of vanishing.
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert np.isfinite(history["loss"]).all() and np.isfinite(history["val_loss"]).all()
    assert history["loss"][-1] < history["loss"][0]
    assert history["accuracy"][-1] > 3 * CHANCE
    probabilities = np.asarray(model.predict(data.x_test, verbose=0), dtype=np.float32)
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-2)
    assert nb["accuracy_of"](probabilities, data.y_test) > 2 * CHANCE
    return model


def test_fast_model_trains_in_mixed_float16(nb, data):
    model = nb["build_fast_cnn"](data, widths=(8, 16, 16), seed=0, dtype_policy="mixed_float16")
    assert keras.config.dtype_policy().name == "float32", (
        "build_fast_cnn must restore the global policy"
    )
    # Logits and softmax stay float32: the float16 range (max 65504, ~3 significant digits) is too
    # coarse for them.
    for name in ("logits", "probabilities"):
        assert model.get_layer(name).compute_dtype == "float32"
    assert model.outputs[0].dtype == "float32"
    assert_trains_in_float16(nb, model, data)


def test_course_cnn_trains_in_mixed_float16(nb, data):
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = nb["first_cnn"](data.input_shape, first_layers=[layers.Rescaling(1 / 255)])
    finally:
        keras.config.set_dtype_policy("float32")
    # Unless its last layer says dtype="float32", its softmax is computed in float16; the loss is
    # still computed in float32, because Keras casts the predictions to the loss's own dtype
    # (float32) before the cross-entropy.
    assert_trains_in_float16(nb, model, data)
