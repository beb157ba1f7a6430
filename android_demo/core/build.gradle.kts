// Plain Kotlin with no Android imports: the preprocessing and postprocessing
// that must agree with the Python side. Its tests read golden vectors from
// src/test/resources/golden (written by `make android-assets`).
plugins {
    alias(libs.plugins.kotlin.jvm)
}

java {
    sourceCompatibility = JavaVersion.VERSION_17
    targetCompatibility = JavaVersion.VERSION_17
}

// A JVM target, not jvmToolchain(17): a toolchain needs a resolver plugin to
// find JDK 17, and fails on a machine that has only a newer JDK (such as the
// JDK 21 that Android Studio bundles).
kotlin {
    compilerOptions {
        jvmTarget.set(org.jetbrains.kotlin.gradle.dsl.JvmTarget.JVM_17)
    }
}

dependencies {
    testImplementation(libs.junit)
}
