"""Export: Keras model → SavedModel → TFLite/LiteRT variants (float32, float16,
dynamic, int8, int8-io, int16x8) with metadata, verified against the Keras
model. Running the files needs no TensorFlow: see `keras_resnet.edge`."""
