"""The texts ``nnfw new-plugin`` starts from: one small working entry of each kind."""

# kind -> (hook body: imports and definitions, then the register call), using {name}, {kind}
ENTRIES: dict[str, str] = {
    "optimizer": '''
        def build(learning_rate, scale):
            """A Keras optimizer: ``w -= lr * scale * g``."""
            return optimizer_class()(learning_rate=learning_rate, scale=scale)


        @functools.cache
        def optimizer_class():
            import keras

            @keras.saving.register_keras_serializable(package="{package}")
            class ScaledSGD(keras.optimizers.Optimizer):
                def __init__(self, learning_rate=0.01, scale=1.0, name="scaled_sgd", **kwargs):
                    super().__init__(learning_rate=learning_rate, name=name, **kwargs)
                    self.scale = scale

                def update_step(self, gradient, variable, learning_rate):
                    step = keras.ops.multiply(keras.ops.cast(learning_rate, variable.dtype), gradient)
                    self.assign_sub(variable, keras.ops.multiply(step, self.scale))

                def get_config(self):
                    return {{**super().get_config(), "scale": self.scale}}

            return ScaledSGD


        @hookimpl
        def register_optimizers(register):
            register("{name}", build, description="Gradient descent with a scaled step.",
                     formula="w -= lr * scale * g", keras_objects=optimizer_class,
                     params=[Param("scale", 1.0, "factor on every step", bounds="(0, inf)")])
''',
    "loss": '''
        def build():
            """Keras' mean absolute error: values per row, which nnfw reduces over the batch."""
            import keras

            return keras.losses.MeanAbsoluteError()


        @hookimpl
        def register_losses(register):
            register("{name}", build, description="Mean absolute error.",
                     formula="mean(|y_ - y|)", tasks=("regression",))
''',
    "schedule": '''
        def build(learning_rate, steps_per_epoch, end, epochs=1):
            """Linear from ``learning_rate`` to ``end * learning_rate`` at the last step
            (nnfw passes the run's planned ``epochs``)."""
            return schedule_class()(learning_rate, steps_per_epoch * epochs, end)


        @functools.cache
        def schedule_class():
            import keras

            @keras.saving.register_keras_serializable(package="{package}")
            class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
                def __init__(self, initial, steps, end):
                    self.initial, self.steps, self.end = initial, steps, end

                def __call__(self, step):
                    done = keras.ops.minimum(keras.ops.cast(step, "float32") / self.steps, 1.0)
                    return self.initial * (1.0 - (1.0 - self.end) * done)

                def get_config(self):
                    return {{"initial": self.initial, "steps": self.steps, "end": self.end}}

            return LinearDecay


        @hookimpl
        def register_schedules(register):
            register("{name}", build, description="Linear decay to a share of lr where training ends.",
                     formula="lr_t = lr * (1 - (1 - end) * t / T)", keras_objects=schedule_class,
                     params=[Param("end", 0.1, "the share of lr left at the end", bounds="[0, 1]")])
''',
    "activation": '''
        def build():
            """``x / (1 + |x|)``, registered with Keras so that models using it save and load."""
            return softsign_function()


        @functools.cache
        def softsign_function():
            import keras

            @keras.saving.register_keras_serializable(package="{package}")
            def softsign(x):
                return x / (1.0 + keras.ops.abs(x))

            return softsign


        @hookimpl
        def register_activations(register):
            register("{name}", build, description="Softsign: like tanh, with slower tails.",
                     formula="f(x) = x / (1 + |x|)", keras_objects=softsign_function)
''',
    "regularizer": '''
        def build(scale):
            """Keras' own L1 penalty."""
            import keras

            return keras.regularizers.L1(scale)


        @hookimpl
        def register_regularizers(register):
            register("{name}", build, description="L1 weight penalty.", formula="scale * sum(|w|)",
                     params=[Param("scale", 0.01, "weight of the penalty", bounds="[0, inf)")])
''',
    "initializer": '''
        def build(limit, seed):
            """Keras' uniform initializer on ``[-limit, limit]``."""
            import keras

            return keras.initializers.RandomUniform(-limit, limit, seed=seed)


        @hookimpl
        def register_initializers(register):
            register("{name}", build, description="Uniform values in [-limit, limit].",
                     params=[Param("limit", 0.1, "half the width", bounds="(0, inf)"),
                             Param("seed", 1, "the seed", type=int)])
''',
    "dataset": '''
        def build(rows, seed):
            """Two noisy rings: class 1 inside radius 1, class 0 outside; the last fifth tests."""
            import numpy as np

            rng = np.random.default_rng(seed)
            radius = np.where(rng.random(rows) < 0.5, 0.5, 1.5) + rng.normal(0, 0.1, rows)
            angle = rng.uniform(0, 2 * np.pi, rows)
            x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
            y = (radius < 1).astype(int)
            cut = rows - rows // 5
            return Dataset(x[:cut], y[:cut], x[cut:], y[cut:], task="classification",
                           num_classes=2, name="{name}", class_names=("outer", "inner"))


        @hookimpl
        def register_datasets(register):
            register("{name}", build, description="Two noisy rings in 2-D (generated).",
                     params=[Param("rows", 200, "how many points", bounds="[10, inf)"),
                             Param("seed", 0, "the generator's seed", type=int)])
''',
    "strategy": '''
        def build():
            """TensorFlow's default strategy: one device."""
            import tensorflow as tf

            return tf.distribute.get_strategy()


        @hookimpl
        def register_strategies(register):
            register("{name}", build, description="One device, TensorFlow's default strategy.")
''',
    "experiment": '''
        def build():
            """The config file shipped in this package."""
            return Path(__file__).with_name("experiment.toml")


        @hookimpl
        def register_experiments(register):
            register("{name}", build, description="Iris with Adam for 50 epochs.")
''',
    "function": '''
        def build(scale):
            """An elongated bowl, steeper along y the larger ``scale`` is."""

            def bowl(point):
                import tensorflow as tf

                return tf.square(point[0]) + scale * tf.square(point[1])

            return Objective(bowl, start=(-2.0, 1.0), bounds=((-3.0, 3.0), (-1.5, 1.5)),
                             minima=((0.0, 0.0),), lr=0.05, names=("x", "y"))


        @hookimpl
        def register_functions(register):
            register("{name}", build, description="An elongated bowl; the minimum 0 is at (0, 0).",
                     formula="f(x, y) = x^2 + scale * y^2",
                     params=[Param("scale", 10.0, "how much steeper y is than x", bounds="(0, inf)")])
''',
    "model": '''
        def build(context, width):
            """One hidden layer of ``width`` units, with the run's layer parts."""
            import keras

            return keras.Sequential([
                keras.Input((context.inputs,)),
                keras.layers.Dense(width, activation=context.activation(),
                                   kernel_initializer=context.kernel_initializer()),
                keras.layers.Dense(context.outputs, activation=context.output_activation(),
                                   kernel_initializer=context.kernel_initializer()),
            ])


        @hookimpl
        def register_models(register):
            register("{name}", build, description="One hidden layer of a chosen width.",
                     params=[Param("width", 8, "units of the hidden layer", bounds="[1, inf)")])
''',
    "metric": '''
        def build():
            """The share of rows whose true class is among the two highest scores."""
            import tensorflow as tf

            def top_two(targets, scores):
                found = tf.math.in_top_k(targets, scores, k=min(2, scores.shape[1]))
                return tf.reduce_mean(tf.cast(found, tf.float32))

            return top_two


        @hookimpl
        def register_metrics(register):
            register("{name}", build, description="Share of rows whose class is in the top two.",
                     tasks=("classification",))
''',
}

EXPERIMENT_TOML = '''# Iris with Adam for 50 epochs
dataset = "iris"
optimizer = "adam"
loss = "mse"
output-activation = "softmax"
lr = 0.01
epochs = 50
'''
