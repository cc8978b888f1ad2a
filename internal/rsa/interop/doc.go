// Package interop holds the interoperability tests that drive the AM simulator
// with clients nobody here wrote — python3-zeep, node-soap, Mono's wsdl proxy
// (PowerShell's New-WebServiceProxy) and Apache Axis 1.4's WSDL2Java stubs
// (the Java stack of AM's customers) — from its WSDL alone, to show that the
// simulator speaks AM's protocol rather than mirroring rsatui's client.
// docs/interop.md says what each proves and what stays unproven.
package interop
