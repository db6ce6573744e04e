/**
 * The generated demo dataset ("reviews"): fixed seed, every column type the LF kinds read; also the tests' fixture.
 */
package dev.labelflight.engine.demo;
