global using NUnit.Framework;
global using CuRnn;
