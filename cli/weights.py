"""`resnet weights list|fetch`: named pretrained weights
(`keras_resnet.weights_registry` and `.weights_cache`)."""


def add_parser(sub):
    parser = sub.add_parser(
        "weights", help="list or pre-fetch named pretrained weights",
        description="Named weights (keras.applications', torchvision's and timm's ImageNet "
                    "weights) are downloaded once, verified, converted and cached in "
                    "$KERAS_HOME/keras_resnet (default ~/.keras/keras_resnet). On a machine "
                    "without internet, copy that folder from one where `resnet weights fetch "
                    "NAME` ran.")
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="every name, its architecture and input contract, "
                                    "and whether it is cached")
    fetch = actions.add_parser("fetch", help="download, verify, convert and cache NAME")
    fetch.add_argument("name", help="e.g. keras:ResNet50, torchvision:resnet50.IMAGENET1K_V2")
    fetch.add_argument("--no-top", action="store_true",
                       help="keras.applications only: the smaller file without the classifier")


def run(args):
    from keras_resnet import weights_cache, weights_registry

    if args.action == "list":
        print("| name | architecture | ImageNet top-1 | eval resize → crop | cached |")
        print("|---|---|--:|---|---|")
        for name in weights_registry.list_weights():
            entry = weights_registry.weights_entry(name)
            top1 = entry.info.get("top1")
            print(f"| {name} | {entry.architecture} | "
                  f"{'–' if top1 is None else top1} | {entry.resize} → {entry.crop} | "
                  f"{'yes' if weights_cache.cached(name) else 'no'} |")
        print(f"cache: {weights_cache.cache_dir()}")
        return
    path = weights_cache.converted_file(args.name, include_top=not args.no_top)
    print(f"{args.name}: converted weights in {path}")
