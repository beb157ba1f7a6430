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

kotlin {
    jvmToolchain(17)
}

dependencies {
    testImplementation(libs.junit)
}
