"""`resnet experiment degradation`: the paper's degradation experiment
(`keras_resnet.experiments.degradation`)."""

import time

from keras_resnet.cli.options import check_at_least, ints, new_run_dir
from keras_resnet.experiments.degradation import KINDS, check


def add_parser(sub):
    parser = sub.add_parser(
        "experiment", help="why ResNet: the paper's degradation experiment on Fashion-MNIST",
        description="Trains plain nets (with and without BatchNorm) and ResNets of two "
                    "depths with the same recipe for several seeds, recording gradient "
                    "norms by depth, and writes the paper-style figures (errors.png, "
                    "gradients.png) and a table (summary.md). The defaults take about an "
                    "hour on 2 CPU cores. Example: resnet experiment degradation --steps 500")
    parser.add_argument("name", choices=("degradation",))
    parser.add_argument("--depths", type=ints, default=(20, 56),
                        help="comma-separated CIFAR depths (default 20,56)")
    parser.add_argument("--seeds", type=ints, default=(0, 1), help="default 0,1")
    parser.add_argument("--kinds", type=lambda t: tuple(t.split(",")), default=tuple(KINDS),
                        help=f"any of {', '.join(KINDS)} (default all three)")
    parser.add_argument("--steps", type=int, default=500, help="steps per net")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--eval-every", type=int, default=100,
                        help="steps between test-error points")
    parser.add_argument("--grad-every", type=int, default=50,
                        help="steps between gradient records")
    parser.add_argument("--train-limit", type=int, default=0,
                        help="use only this many training images (0: all)")
    parser.add_argument("--test-images", type=int, default=2000)
    parser.add_argument("--output", help="default runs/degradation-<time>")
    parser.add_argument("--quiet", action="store_true")


def run(args):
    check(args.depths, args.seeds, args.kinds)
    check_at_least(1, steps=args.steps, batch_size=args.batch_size, eval_every=args.eval_every,
                   grad_every=args.grad_every, test_images=args.test_images)
    check_at_least(0, train_limit=args.train_limit)
    output = args.output or new_run_dir("runs", "degradation")
    from keras_resnet.experiments.degradation import markdown, run_experiment

    start = time.time()
    table = run_experiment(output, depths=args.depths, seeds=args.seeds, kinds=args.kinds,
                           steps=args.steps, batch_size=args.batch_size,
                           eval_every=args.eval_every, grad_every=args.grad_every,
                           train_limit=args.train_limit, test_images=args.test_images,
                           verbose=2 if args.quiet else "auto")
    print(markdown(table))
    print(f"{(time.time() - start) / 60:.1f} min; figures and table in {output}: "
          "errors.png, gradients.png, summary.md, summary.json, curves.csv")
