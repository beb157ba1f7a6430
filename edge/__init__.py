"""The edge runtime: run an exported `.tflite` classifier with no TensorFlow.

Needs only numpy, Pillow and a LiteRT interpreter (`ai-edge-litert`, else
`tflite-runtime`): `pip install "keras3-resnet[edge]"`. The preprocessing here
is a numpy mirror of the training side's evaluation preprocessing
(`keras_resnet.training.augment.preprocess_for_eval`), tested to give the same tensors.

    from keras_resnet.edge import Predictor
    Predictor("model_int8.tflite").top_k("photo.jpg", k=3)
"""

from keras_resnet.edge.predictor import Predictor

__all__ = ["Predictor"]
