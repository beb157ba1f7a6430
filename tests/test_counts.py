"""Parameter and MAC counts against torchvision's and the paper's figures."""

import math

import pytest

import keras_resnet as kr
from keras_resnet.model_table import trainable_params

TORCHVISION = {  # depth: (trainable parameters, MACs at 224×224), variant v1.5
    18: (11_689_512, 1_814_073_344),
    34: (21_797_672, 3_663_761_408),
    50: (25_557_032, 4_089_184_256),
    101: (44_549_160, 7_801_405_440),
    152: (60_192_808, 11_513_626_624),
}

CIFAR_OPTION_A = {20: 269_722, 32: 464_154, 44: 658_586, 56: 853_018,
                  110: 1_727_962, 1202: 19_421_274}


@pytest.mark.parametrize("depth", sorted(TORCHVISION))
def test_imagenet_family_matches_torchvision(depth):
    model = kr.ResNet(depth, variant="v1.5", classes=1000)
    params, macs = TORCHVISION[depth]
    assert trainable_params(model) == params
    assert kr.count_macs(model) == macs


@pytest.mark.parametrize("depth", sorted(CIFAR_OPTION_A))
def test_cifar_family_matches_the_paper(depth, request):
    if depth == 1202:
        model = request.getfixturevalue("resnet1202")
    else:
        model = kr.ResNet(depth, shortcut="A", classes=10, input_shape=(32, 32, 3))
    assert trainable_params(model) == CIFAR_OPTION_A[depth]


def test_option_b_adds_two_projections():
    a = kr.ResNet20(classes=10, input_shape=(32, 32, 3))
    b = kr.ResNet20(classes=10, input_shape=(32, 32, 3), shortcut="B")
    # 1×1 convs 16→32 and 32→64 with their BatchNorms.
    assert trainable_params(b) - trainable_params(a) == 16 * 32 + 64 + 32 * 64 + 128 == 2752


def test_torchvision_wide_and_grouped_models():
    assert trainable_params(kr.WideResNet50_2()) == 68_883_240
    assert trainable_params(kr.ResNeXt50_32x4d()) == 25_028_904


def test_resnet200():
    assert trainable_params(kr.ResNet200()) == 64_673_832


def _bottleneck_macs(height, width, blocks, inner_factor, classes, channels=3):
    """MACs of a v1.5 bottleneck ResNet computed from first principles."""
    up = lambda n, s: math.ceil(n / s)  # noqa: E731 (padded convs round up)
    h, w = up(height, 2), up(width, 2)
    macs = h * w * 64 * 7 * 7 * channels
    h, w, c_in = up(h, 2), up(w, 2), 64
    for stage, (n, f) in enumerate(zip(blocks, (64, 128, 256, 512))):
        inner, out = int(f * inner_factor), 4 * f
        for b in range(n):
            s = 2 if b == 0 and stage > 0 else 1
            ho, wo = up(h, s), up(w, s)
            macs += h * w * c_in * inner + ho * wo * 9 * inner * inner + ho * wo * inner * out
            if b == 0:
                macs += ho * wo * c_in * out
            h, w, c_in = ho, wo, out
    return macs + c_in * classes


def test_independent_mac_count_agrees_with_torchvision():
    assert _bottleneck_macs(224, 224, (3, 4, 6, 3), 1, 1000) == TORCHVISION[50][1]


def test_macs_of_an_odd_configuration():
    # Another depth, a non-square odd-sized input, a width factor, 7 classes.
    model = kr.ResNet(101, width_factor=2, input_shape=(193, 250, 3), classes=7)
    assert kr.count_macs(model) == _bottleneck_macs(193, 250, (3, 4, 23, 3), 2, 7)
