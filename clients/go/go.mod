module github.com/your-org/idenfy-mock/clients/go

go 1.19
