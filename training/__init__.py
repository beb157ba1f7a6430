"""Training: data sources, tf.data pipelines, recipes and `model.fit` runs.

`keras_resnet.training.recipe` imports no TensorFlow, so the command line can check its
arguments at once; the rest does.
"""
