"""`resnet calibrate`: measure this kind of device's fastest precision and
XLA setting (`keras_resnet.training.calibration.calibrate`), and whether
TensorFlow's oneDNN kernels help on this CPU (`calibrate_onednn`)."""

from keras_resnet.cli.options import check_at_least
from keras_resnet.cpu import cpu_description


def add_parser(sub):
    parser = sub.add_parser(
        "calibrate", help="measure this device's fastest precision, XLA and oneDNN setting",
        description="Time ResNet-20 train steps in every precision, with XLA on and off, "
                    "on this kind of device, and keep the fastest as the default of "
                    "recipes whose precision or jit_compile is \"auto\"; on CPU, also time "
                    "TensorFlow's oneDNN kernels on and off (in fresh processes) and keep "
                    "the faster for every later start. Run it on an otherwise idle machine "
                    "(about two minutes on 2 CPU cores).")
    parser.add_argument("--rounds", type=int, default=20,
                        help="timed steps per setting, interleaved (median kept)")
    parser.add_argument("--batch-size", type=int, default=128)


def run(args):
    check_at_least(1, rounds=args.rounds, batch_size=args.batch_size)
    import tensorflow as tf

    from keras_resnet.cpu import cache_file
    from keras_resnet.training import calibration

    kind, times, decision = calibration.calibrate(rounds=args.rounds, batch=args.batch_size)
    print(f"{kind}, ResNet-20 28×28×1, batch {args.batch_size}, median of {args.rounds} "
          "interleaved steps")
    print(calibration.speed_table(times, args.batch_size))
    print(f"default for \"auto\": precision {decision['precision']}, XLA "
          f"{'on' if decision['jit_compile'] else 'off'}; saved in {cache_file()}")
    if not tf.config.list_physical_devices("GPU"):
        _, onednn, choice = calibration.calibrate_onednn(batch=args.batch_size)
        print(f"{cpu_description()}: oneDNN on {args.batch_size / onednn[True]:.0f} images/s, "
              f"off {args.batch_size / onednn[False]:.0f}; from the next start: oneDNN "
              f"{'on' if choice['enabled'] else 'off'}")
