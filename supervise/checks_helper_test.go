package supervise

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

// runCheckHelper holds the child behaviours of the Checks tests (see runHelper); ok is false
// for a name it does not know.
func runCheckHelper(name string, args []string) (code int, ok bool) {
	switch name {
	case "notify": // sd_notify STATUS=booting, then READY=1 with STATUS=serving after 200 ms; sleep
		addr := os.Getenv("NOTIFY_SOCKET")
		send := func(msg string) {
			c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
			if err != nil {
				fmt.Println(err)
				return
			}
			c.Write([]byte(msg))
			c.Close()
		}
		send("STATUS=booting")
		time.Sleep(200 * time.Millisecond)
		send("READY=1\nSTATUS=serving")
		time.Sleep(time.Hour)
	case "listen": // after args[1] ms, accept TCP connections on 127.0.0.1:args[0]
		ms, _ := strconv.Atoi(args[1])
		time.Sleep(time.Duration(ms) * time.Millisecond)
		ln, err := net.Listen("tcp", "127.0.0.1:"+args[0])
		if err != nil {
			fmt.Println(err)
			return 3, true
		}
		for {
			c, err := ln.Accept()
			if err != nil {
				return 4, true
			}
			c.Close()
		}
	case "http", "https": // serve 200 on 127.0.0.1:args[0], 503 while the file args[1] exists
		ln, err := net.Listen("tcp", "127.0.0.1:"+args[0])
		if err != nil {
			fmt.Println(err)
			return 3, true
		}
		if name == "https" {
			ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{selfSigned()}})
		}
		srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if len(args) > 1 {
				if _, err := os.Stat(args[1]); err == nil {
					http.Error(w, "sick", http.StatusServiceUnavailable)
					return
				}
			}
			fmt.Fprintln(w, "ok")
		})}
		fmt.Println(srv.Serve(ln))
		return 4, true
	case "alloc": // hold HELPER_ALLOC_MB (else args[0]) MB of touched memory; with args[1], start
		// a grandchild that holds as much
		// (runHelper turns no arguments into "0": the grandchild reads the variable)
		mb, err := strconv.Atoi(os.Getenv("HELPER_ALLOC_MB"))
		if err != nil {
			mb, _ = strconv.Atoi(args[0])
		}
		if len(args) > 1 {
			os.Setenv("HELPER_ALLOC_MB", strconv.Itoa(mb))
			if _, err := startHelper("alloc", false); err != nil {
				fmt.Println(err)
				return 3, true
			}
		}
		b := make([]byte, mb<<20)
		for i := range b {
			b[i] = byte(i)
		}
		fmt.Println("ready")
		time.Sleep(time.Hour)
		fmt.Println(b[len(b)/2])
	default:
		return 0, false
	}
	return 0, true
}

// selfSigned makes a throwaway certificate for 127.0.0.1.
func selfSigned() tls.Certificate {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "check-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
