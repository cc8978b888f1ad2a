// Package interop holds the interoperability tests that drive the AM simulator
// with standard WSDL-driven SOAP toolkits (python3-zeep and node-soap), to show
// that the simulator speaks the protocol rather than mirroring rsatui's client.
package interop
